package config

import (
	"encoding"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// defaulter is implemented by the sections whose fields have defaults
// other than the zero value: they are set before the file's values.
type defaulter interface{ defaults() }

// decode stores the YAML node n in v, the value at path, reporting every
// mismatch with its place: unknown keys, repeated keys, wrong kinds,
// values their types refuse. It goes on after an error, so that one run
// finds them all.
func (r *report) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, ok := r.pos[path]; !ok {
		r.pos[path] = pos{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			v.Set(newWithDefaults(v.Type().Elem()))
		}
		return
	}
	if s, ok := v.Addr().Interface().(scalarShorthand); ok && n.Kind == yaml.ScalarNode {
		s.setScalar(n.Value)
		return
	}
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		r.decodeText(n, u, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(newWithDefaults(v.Type().Elem()))
		}
		r.decode(n, v.Elem(), path)
	case reflect.Struct:
		r.decodeStruct(n, v, path)
	case reflect.Slice:
		r.decodeSlice(n, v, path)
	case reflect.Map:
		r.decodeMap(n, v, path)
	default:
		r.decodeScalar(n, v, path)
	}
}

// scalarShorthand is implemented by the sections that a single value
// stands for (data: PATH is data: {file: PATH}).
type scalarShorthand interface{ setScalar(string) }

// newWithDefaults returns a pointer to a new T with its defaults set.
func newWithDefaults(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	if d, ok := p.Interface().(defaulter); ok {
		d.defaults()
	}
	return p
}

func (r *report) decodeText(n *yaml.Node, u encoding.TextUnmarshaler, path string) {
	if n.Kind != yaml.ScalarNode {
		r.at(path, "want a single value, not a %s", kindName(n))
		return
	}
	if err := u.UnmarshalText([]byte(n.Value)); err != nil {
		r.at(path, "%s", trimPackage(err))
	}
}

// packagePrefixes are the prefixes of other packages' errors that a
// configuration error drops: its key already says where the value belongs.
var packagePrefixes = []string{"handlers: http: ", "handlers: s3: ", "handlers: action: ", "handlers: template: ", "handlers: ", "slog: "}

func trimPackage(err error) string {
	msg := err.Error()
	for _, p := range packagePrefixes {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			return rest
		}
	}
	return msg
}

func (r *report) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		r.at(path, "want a mapping of keys to values, not a %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		keyPath := joinPath(path, key.Value)
		switch idx, ok := fields.index[key.Value]; {
		case seen[key.Value]:
			r.atPos(pos{key.Line, key.Column}, keyPath, "%s is given twice", key.Value)
		case !ok:
			r.atPos(pos{key.Line, key.Column}, keyPath, "unknown key%s", fields.suggest(key.Value))
		default:
			r.pos[keyPath] = pos{key.Line, key.Column}
			r.decode(val, v.Field(idx), keyPath)
		}
		seen[key.Value] = true
	}
}

func (r *report) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	items := n.Content
	switch {
	case n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String:
		items = []*yaml.Node{n} // listen: "0.0.0.0:69" is a list of one
	case n.Kind != yaml.SequenceNode:
		r.at(path, "want a list, not a %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		elem := newWithDefaults(v.Type().Elem()).Elem()
		r.decode(item, elem, indexPath(path, i))
		s.Index(i).Set(elem)
	}
	v.Set(s)
}

func (r *report) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		r.at(path, "want a mapping of keys to values, not a %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		keyPath := joinPath(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			r.atPos(pos{key.Line, key.Column}, keyPath, "%s is given twice", key.Value)
			continue
		}
		r.pos[keyPath] = pos{key.Line, key.Column}
		elem := reflect.New(v.Type().Elem()).Elem()
		r.decode(val, elem, keyPath)
		m.SetMapIndex(reflect.ValueOf(key.Value), elem)
	}
	v.Set(m)
}

func (r *report) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		r.at(path, "want a single value, not a %s", kindName(n))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Tag != "!!bool" || n.Decode(&b) != nil {
			r.at(path, "want true or false, not %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Tag != "!!int" || err != nil {
			r.at(path, "want a whole number, not %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if (n.Tag != "!!float" && n.Tag != "!!int") || n.Decode(&f) != nil {
			r.at(path, "want a number, not %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: no decoding for %v at %s", v.Type(), path))
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return fmt.Sprintf("single value (%q)", n.Value)
}

// structFields are the YAML keys of a struct type.
type structFields struct {
	index map[string]int
	keys  []string
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{index: map[string]int{}}
	for i := range t.NumField() {
		key := yamlKey(t.Field(i))
		if key == "" {
			continue
		}
		f.index[key] = i
		f.keys = append(f.keys, key)
	}
	fieldCache.Store(t, f)
	return f
}

// yamlKey returns the key of an exported field with a yaml tag, or "".
func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return key
}

// suggest names the known key closest to an unknown one, or lists them.
func (f *structFields) suggest(key string) string {
	best, bestDist := "", 3
	for _, k := range f.keys {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	keys := slices.Sorted(slices.Values(f.keys))
	return " (known keys: " + strings.Join(keys, ", ") + ")"
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// syntaxError turns yaml.v3's error for a file that is not YAML into an
// Error with its line.
func syntaxError(file string, err error) error {
	e := &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatchIndex(e.Msg); m != nil {
		e.Line, _ = strconv.Atoi(e.Msg[m[2]:m[3]])
		e.Column = 1
		if m[0] == 0 {
			e.Msg = strings.TrimPrefix(e.Msg[m[1]:], ": ")
		}
	}
	return Errors{e}
}
