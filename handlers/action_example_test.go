package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// Tell a provisioning system each time a device uploaded its config.
func ExampleActions_Wrap() {
	provisioning := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e handlers.ActionEvent
		_ = json.NewDecoder(r.Body).Decode(&e)
		fmt.Printf("%s: %s uploaded %s (%d bytes)\n", e.Outcome, e.Params["host"], e.Name, e.Bytes)
	}))
	defer provisioning.Close()

	var actions handlers.Actions
	h, err := actions.Wrap(handlers.NewMemory(), handlers.Action{
		On:   handlers.ActionOnSuccess,
		Post: provisioning.URL + "/uploaded",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var reg registry.Registry
	reg.MustRegister(`(?<host>[a-z0-9-]+)-confg`, h)

	err = behaviourtest.Write(context.Background(), &reg, "sw-core-01-confg", []byte("hostname sw-core-01\n"))
	actions.Wait() // actions run after the transfer ended
	fmt.Println("upload:", err)
	// Output:
	// success: sw-core-01 uploaded sw-core-01-confg (20 bytes)
	// upload: <nil>
}

// A program run by an action finds the event in its environment.
func ExampleActionEvent_Env() {
	e := handlers.ActionEvent{Outcome: "success", Name: "sw1-confg", Params: map[string]string{"host": "sw1"}, Bytes: 20}
	for _, kv := range e.Env() {
		if strings.HasPrefix(kv, "FILEMUX_NAME=") || strings.HasPrefix(kv, "FILEMUX_PARAM_") || strings.HasPrefix(kv, "FILEMUX_BYTES=") {
			fmt.Println(kv)
		}
	}
	// Output:
	// FILEMUX_NAME=sw1-confg
	// FILEMUX_BYTES=20
	// FILEMUX_PARAM_HOST=sw1
}
