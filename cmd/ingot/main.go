// Command ingot is a dbt-style SQL transformation runner.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ingot-dev/ingot/internal/cli"
)

func main() {
	// A run is short-lived and its heap small next to the engine's memory:
	// collecting less often saves a good share of CPU on large projects.
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
