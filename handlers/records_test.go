package handlers

import (
	"strings"
	"testing"
)

// TestTemplateRecordsConfig: Records and Inventory exclude each other,
// and Records needs a Key as an Inventory does.
func TestTemplateRecordsConfig(t *testing.T) {
	inv := &Inventory{}
	for _, c := range []struct {
		cfg  TemplateConfig
		want string
	}{
		{TemplateConfig{Text: "x", Inventory: inv, Records: inv, Key: "host"}, "at most one of Inventory and Records"},
		{TemplateConfig{Text: "x", Records: inv}, "needs a Key"},
	} {
		if _, err := NewTemplate(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
	if _, err := NewTemplate(TemplateConfig{Text: "x", Records: inv, Key: "host"}); err != nil {
		t.Error(err)
	}
}
