package handlers_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// devices is a Records whose contents change while serving, as the rows
// of a database query reloaded on notification do: each transfer looks
// its record up at Open.
type devices struct {
	mu   sync.RWMutex
	byIP map[string]map[string]any
}

func (d *devices) Lookup(key string) (map[string]any, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	rec, ok := d.byIP[key]
	return rec, ok
}

func (d *devices) set(key string, rec map[string]any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byIP[key] = rec
}

// A template over records that change while it serves: a device added
// after NewTemplate is served at its next request, without a reload.
func ExampleRecords() {
	inv := &devices{byIP: map[string]map[string]any{}}
	h, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text:    "hostname {{.Data.hostname}}\n",
		Records: inv,
		Key:     "host",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fetch := func() {
		t, _ := behaviourtest.NewTransfer(behaviour.Read, "ztp/sw-new-07")
		t.Params = []behaviour.Param{{Name: "host", Value: "sw-new-07"}}
		out, err := behaviourtest.Run(context.Background(), h, t, nil)
		if err != nil {
			fmt.Println(behaviour.PeerMessage(err))
			return
		}
		fmt.Print(string(out))
	}
	fetch()
	inv.set("sw-new-07", map[string]any{"hostname": "sw-new-07.lab"})
	fetch()
	// Output:
	// file not found
	// hostname sw-new-07.lab
}
