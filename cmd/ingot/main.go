// Command ingot is a dbt-style SQL transformation runner.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ingot-dev/ingot/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
