package handlers

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeInventory decodes a document into a tree (nil, a list or a
// mapping), then indexes its records by key.
func decodeInventory(r io.Reader, format InventoryFormat, keyField string) (*Inventory, error) {
	var tree any
	var err error
	switch format {
	case InventoryYAML:
		tree, err = decodeYAML(r)
	case InventoryJSON:
		tree, err = decodeJSON(r)
	case InventoryCSV:
		tree, err = decodeCSV(r)
	default:
		return nil, fmt.Errorf("unknown format %v", format)
	}
	if err != nil {
		return nil, err
	}
	records, err := indexRecords(tree, cmp.Or(keyField, DefaultInventoryKey))
	if err != nil {
		return nil, err
	}
	return &Inventory{records: records}, nil
}

func decodeYAML(r io.Reader) (any, error) {
	var tree any
	if err := yaml.NewDecoder(r).Decode(&tree); err != nil && err != io.EOF {
		return nil, err
	}
	return tree, nil
}

// decodeJSON keeps numbers as json.Number, so that they render as written
// (1000000, not 1e+06).
func decodeJSON(r io.Reader) (any, error) {
	doc, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var tree any
	if doc[0] == '{' {
		tree, err = decodeJSONObject(dec)
	} else {
		err = dec.Decode(&tree)
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the top-level JSON value")
	}
	return tree, nil
}

// decodeJSONObject decodes the top-level object member by member, since
// encoding/json would silently keep the last of two records with one key.
func decodeJSONObject(dec *json.Decoder) (map[string]any, error) {
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, err
	}
	obj := make(map[string]any)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder yields only strings as keys
		if _, dup := obj[key]; dup {
			return nil, fmt.Errorf("record %q: key %q used twice", key, key)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		obj[key] = v
	}
	_, err := dec.Token() // the closing brace
	return obj, err
}

// decodeCSV turns the rows after the header into a list of records of
// strings. A byte order mark (as spreadsheets write) and spaces around
// column names are dropped.
func decodeCSV(r io.Reader) (any, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	header := rows[0]
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		if header[i] == "" || seen[header[i]] {
			return nil, fmt.Errorf("CSV column %d: empty or repeated name %q", i+1, header[i])
		}
		seen[header[i]] = true
	}
	list := make([]any, 0, len(rows)-1)
	for _, row := range rows[1:] {
		rec := make(map[string]any, len(header))
		for i, h := range header {
			rec[h] = row[i]
		}
		list = append(list, rec)
	}
	return list, nil
}

// indexRecords accepts the two shapes an Inventory documents.
func indexRecords(tree any, keyField string) (map[string]map[string]any, error) {
	ix := recordIndex{}
	var err error
	switch t := tree.(type) {
	case nil:
	case []any:
		err = ix.addList(t, keyField)
	case map[string]any:
		err = addMapping(ix, t)
	case map[any]any:
		err = addMapping(ix, t)
	default:
		err = fmt.Errorf("want a mapping of key to record or a list of records, not %T", tree)
	}
	return ix, err
}

// recordIndex is the records of an Inventory by key, while they are added.
type recordIndex map[string]map[string]any

func (ix recordIndex) add(key string, v any, where string) error {
	rec, ok := asRecord(v)
	switch {
	case !ok:
		return fmt.Errorf("%s is not a mapping", where)
	case ix[key] != nil:
		return fmt.Errorf("%s: key %q used twice", where, key)
	}
	ix[key] = rec
	return nil
}

// addMapping adds the records of a mapping of key to record.
func addMapping[K comparable](ix recordIndex, m map[K]any) error {
	for k, v := range m {
		key, err := keyString(k)
		if err != nil {
			return fmt.Errorf("record key: %w", err)
		}
		if err := ix.add(key, v, fmt.Sprintf("record %q", key)); err != nil {
			return err
		}
	}
	return nil
}

// addList adds a list of records that hold their keys in keyField.
func (ix recordIndex) addList(list []any, keyField string) error {
	for i, item := range list {
		where := fmt.Sprintf("record %d", i+1)
		rec, ok := asRecord(item)
		if !ok {
			return fmt.Errorf("%s is not a mapping", where)
		}
		k, present := rec[keyField]
		if !present {
			return fmt.Errorf("%s has no %q field", where, keyField)
		}
		key, err := keyString(k)
		if err != nil {
			return fmt.Errorf("%s, field %q: %w", where, keyField, err)
		}
		if err := ix.add(key, rec, where); err != nil {
			return err
		}
	}
	return nil
}

// keyString writes out a scalar key; lists, mappings, nulls and empty
// strings cannot be keys.
func keyString(k any) (string, error) {
	var s string
	switch v := k.(type) {
	case string:
		s = v
	case json.Number, bool, int, int64, uint64, float64:
		s = fmt.Sprint(v)
	default:
		return "", fmt.Errorf("a key must be a string or a number, not %T", k)
	}
	if s == "" {
		return "", errors.New("empty key")
	}
	return s, nil
}

// asRecord returns v as a mapping with string keys. YAML mappings with
// other keys (numbers, booleans) have them written out; a null (YAML
// "sw-core-01:" with nothing after it) is an empty record.
func asRecord(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case nil:
		return map[string]any{}, true
	case map[string]any:
		return m, true
	case map[any]any:
		rec := make(map[string]any, len(m))
		for k, val := range m {
			rec[fmt.Sprint(k)] = val
		}
		return rec, true
	}
	return nil, false
}
