package handlers_test

import (
	"context"
	"fmt"
	"log"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// Boot images and collected configs in one bucket: NewS3 checks the
// configuration and sends no request, so a store that is down fails
// transfers, not the start. The secret never prints.
func ExampleNewS3() {
	cfg := handlers.S3Config{
		Endpoint:        "https://s3.eu-west-1.amazonaws.com",
		Bucket:          "fleet",
		Prefix:          "configs",
		Region:          "eu-west-1",
		AccessKeyID:     "AKIAEXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG",
		Write:           handlers.WriteCreate, // a device never overwrites another's backup
		Instance:        "tftp-1",
	}
	h, err := handlers.NewS3(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	var reg registry.Registry
	if err := reg.Register(`configs/.*`, h); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("secret:", cfg.SecretAccessKey)

	_, err = handlers.NewS3(handlers.S3Config{Endpoint: "s3.example.net", Bucket: "fleet"})
	fmt.Println(err)
	// Output:
	// secret: [redacted]
	// handlers: s3: Endpoint "s3.example.net" is not an http:// or https:// URL of a host alone
}

// At start, before serving, an instance aborts the multipart uploads a
// crash of its previous run left in the bucket. (Not run here: it needs a
// store.)
func ExampleS3_AbortStale() {
	h, err := handlers.NewS3(handlers.S3Config{Endpoint: "http://127.0.0.1:7070", Bucket: "fleet", Instance: "tftp-1", Write: handlers.WriteAny})
	if err != nil {
		log.Fatal(err)
	}
	n, err := h.AbortStale(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("aborted %d incomplete uploads of an earlier run", n)
}

// CheckConditional tells, before serving, whether the store can enforce
// write create. It needs a store, so the example has no output to check.
func ExampleS3_CheckConditional() {
	h, err := handlers.NewS3(handlers.S3Config{Endpoint: "http://127.0.0.1:7070", Bucket: "backups", Instance: "tftp-1", Write: handlers.WriteCreate})
	if err != nil {
		log.Fatal(err)
	}
	if err := h.CheckConditional(context.Background()); err != nil {
		log.Fatal(err) // the store would let an upload overwrite an existing config
	}
}
