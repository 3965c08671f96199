// Command safeguard runs the Safeguard HIPAA Security Rule platform: the web UI,
// the JSON API and the administrative CLI, all in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Organisations choose the time zone their pages show times in; the
	// zone database is built in, so that a container without one knows it.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
