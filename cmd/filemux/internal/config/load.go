package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"
)

// maxFileSize bounds a configuration file: a mistake such as pointing
// --config at a disk image should fail, not fill the memory.
const maxFileSize = 4 << 20

// Load reads and validates the configuration file at path. Relative paths
// in it are taken from the file's directory. The error of a file that
// does not validate is an Errors value: every problem found, each with its
// line and key. Load only checks what the file says; Build also opens
// what it names (directories, templates, inventories).
func Load(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileSize {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("%d bytes is too large for a configuration file", info.Size())}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, filepath.Dir(abs), data)
}

// Parse reads and validates a configuration from data. name names it in
// errors; dir is the directory relative paths are taken from ("" for the
// current directory).
func Parse(name, dir string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: name, Msg: "the file is empty: it needs at least one listener and one route"}}
	}
	f := &File{name: name, dir: dir}
	f.defaults()
	r := &report{file: name, pos: positions{"": {1, 1}}}
	r.decode(doc.Content[0], reflect.ValueOf(f).Elem(), "")
	r.settle()
	f.validate(r)
	if err := r.errs.sorted(); err != nil {
		return nil, err
	}
	f.pos = r.pos
	return f, nil
}

// report returns a report for the problems found after loading, such as
// those of Build.
func (f *File) report() *report { return &report{file: f.name, pos: f.pos} }
