package config

import (
	"fmt"
	"reflect"
	"strings"
)

// The sections tftp, sftp and http are the table of the daemon's
// settings: each field goes to the field of the same name of daemon.TFTP,
// daemon.SSH or daemon.HTTP, unless its daemon tag names another; "-"
// keeps it out (listen makes one daemon per address), ",path" resolves a
// path from the file's directory, and ",section" takes the fields of a
// subsection (http.tls) as fields of the daemon, left zero when the
// subsection is absent. A field's value converts as its type reads: a
// Duration or Interval is a time.Duration, a Size a byte count, a Count an
// int, and a type wrapping a daemon type (PortPolicy, Startups, Network)
// is that type. TestSettingsTable keeps the table and the daemon in step.

// daemonField is where one field of a section goes.
type daemonField struct {
	index []int  // of the section's field, through its subsections
	name  string // of the daemon's field
	path  bool   // resolved from the file's directory
}

// daemonFields returns the fields of section type st that reach the
// daemon.
func daemonFields(st reflect.Type) []daemonField {
	var out []daemonField
	for i := range st.NumField() {
		f := st.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("daemon"), ",")
		switch {
		case name == "-":
			continue
		case opts == "section":
			for _, df := range daemonFields(f.Type.Elem()) {
				df.index = append([]int{i}, df.index...)
				out = append(out, df)
			}
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, daemonField{index: []int{i}, name: name, path: opts == "path"})
	}
	return out
}

// copySettings sets the fields of the daemon struct *dst from the
// section *src, as the table says.
func (f *File) copySettings(dst, src any) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for _, df := range daemonFields(s.Type()) {
		v, err := s.FieldByIndexErr(df.index)
		if err != nil {
			continue // an absent subsection
		}
		if df.path {
			v = reflect.ValueOf(f.resolve(v.String()))
		}
		out := d.FieldByName(df.name)
		if !out.IsValid() {
			panic(fmt.Sprintf("config: %s has no field %s", d.Type(), df.name))
		}
		out.Set(convert(v, out.Type()))
	}
}

// convert returns v as a value of type t: directly, through the daemon
// type a file type wraps, or element by element.
func convert(v reflect.Value, t reflect.Type) reflect.Value {
	switch {
	case v.Type().ConvertibleTo(t) && v.Kind() != reflect.Slice:
		return v.Convert(t)
	case v.Kind() == reflect.Struct && v.NumField() == 1 && v.Type().Field(0).Anonymous:
		return convert(v.Field(0), t)
	case v.Kind() == reflect.Slice && t.Kind() == reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(convert(v.Index(i), t.Elem()))
		}
		return out
	}
	panic(fmt.Sprintf("config: cannot convert %s to %s", v.Type(), t))
}
