package cli

import (
	"errors"
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// openWaiting opens the target like openAdapter; when another process
// holds the database file (DuckDB allows one at a time) it retries until
// --lock-timeout, so the flag means "how long to wait for whoever holds
// the target" on DuckDB as on PostgreSQL.
func (e *env) openWaiting(c *ucli.Context, t adapter.Target) (adapter.Adapter, error) {
	a, err := e.engines.Open(c.Context, t)
	if !errors.Is(err, adapter.ErrLocked) {
		return a, err
	}
	wait := durationFlag(c, "lock-timeout")
	fmt.Fprintf(e.stderr, "the database file is held by another process; waiting up to %s (--lock-timeout)\n", wait)
	deadline := time.Now().Add(wait)
	for {
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("gave up after %s (raise --lock-timeout): %w", wait, err)
		}
		select {
		case <-c.Context.Done():
			return nil, c.Context.Err()
		case <-time.After(min(200*time.Millisecond, time.Until(deadline))):
		}
		a, err = e.engines.Open(c.Context, t)
		if !errors.Is(err, adapter.ErrLocked) {
			return a, err
		}
	}
}
