package config

import (
	"reflect"
	"slices"
	"testing"

	"github.com/filemux/filemux/daemon"
)

// TestSettingsTable keeps the sections and the daemons in step: every
// field of a section reaches a daemon field of a type it converts to, and
// every daemon setting the file leaves out is one this list says it
// leaves out on purpose.
func TestSettingsTable(t *testing.T) {
	for _, tt := range []struct {
		section, daemon reflect.Type
		left            []string // set by the program, or not offered in the file
	}{
		{reflect.TypeFor[TFTP](), reflect.TypeFor[daemon.TFTP](), []string{"ListenAddr", "Handler", "Logger", "IdleTimeout"}},
		{reflect.TypeFor[SFTP](), reflect.TypeFor[daemon.SSH](), []string{"ListenAddr", "Handler", "HandlerFor", "Logger",
			"HostKeys", "AuthorizedKeys", "UserKeys", "Passwords", "MaxNameLen", "MaxBuffered"}},
		{reflect.TypeFor[HTTPServer](), reflect.TypeFor[daemon.HTTP](), []string{"ListenAddr", "Handler", "Logger", "MaxNameLen"}},
	} {
		set := map[string]bool{}
		for _, df := range daemonFields(tt.section) {
			out, ok := tt.daemon.FieldByName(df.name)
			if !ok {
				t.Errorf("%s.%s goes to %s.%s, which does not exist", tt.section.Name(), tt.section.FieldByIndex(df.index).Name, tt.daemon, df.name)
				continue
			}
			set[df.name] = true
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s.%s: %v", tt.section.Name(), tt.section.FieldByIndex(df.index).Name, r)
					}
				}()
				convert(reflect.New(tt.section.FieldByIndex(df.index).Type).Elem(), out.Type)
			}()
		}
		for i := range tt.daemon.NumField() {
			f := tt.daemon.Field(i)
			if f.IsExported() && f.Type.Kind() != reflect.Func && !set[f.Name] && !slices.Contains(tt.left, f.Name) {
				t.Errorf("%s.%s has no key in the file: add one, or list it as left out", tt.daemon, f.Name)
			}
		}
	}
}
