package readme

import (
	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The two functions below are README's Go snippet, verbatim:
// TestGoSnippetIsVerbatim fails when they and README part ways.

func routes(root string, image []byte) *registry.Registry {
	reg := new(registry.Registry)
	reg.MustRegister(`(?<host>[a-z0-9-]+)-confg`, handlers.Template("hostname {{.Params.host}}\n"))
	reg.MustRegister(`firmware/.*`, behaviour.Bytes(image))
	reg.MustRegister(`.*`, handlers.MustDir(root))
	return reg
}

func serve(image []byte) error {
	srv := &daemon.TFTP{ListenAddr: "127.0.0.1:6969", Handler: routes("/srv/tftp", image)}
	return srv.ListenAndServe()
}

// serve binds a fixed port and never returns, so it is compiled, not run.
var _ = serve
