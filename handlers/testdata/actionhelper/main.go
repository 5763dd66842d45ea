// Command actionhelper is the program the completion-action tests run: it
// appends one line describing how it was called to the file named by its
// first argument, so that a test can count the runs and check what each
// one saw in its arguments and environment. With "sleep" as its second
// argument it waits to be killed instead.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: actionhelper LOG [ARG...]")
		os.Exit(2)
	}
	if len(os.Args) > 2 && os.Args[2] == "sleep" {
		time.Sleep(time.Minute)
	}
	line := fmt.Sprintf("%s|%s|%s|%s|%s|%s\n", os.Getenv("FILEMUX_OUTCOME"), os.Getenv("FILEMUX_NAME"),
		os.Getenv("FILEMUX_PARAM_HOST"), os.Getenv("FILEMUX_BYTES"), os.Getenv("FILEMUX_CODE"),
		strings.Join(os.Args[2:], " "))
	f, err := os.OpenFile(os.Args[1], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("logged", os.Getenv("FILEMUX_NAME"))
}
