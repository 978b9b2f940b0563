package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// timeTravelFlags are show's flags that read a past version of a lake.
func timeTravelFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.Int64Flag{Name: "at-version", Usage: "on a ducklake target, read the model as it was at this snapshot id (see ingot debug)"},
		&ucli.StringFlag{Name: "as-of", Usage: "on a ducklake target, read the model as it was at this time (RFC 3339, or YYYY-MM-DD HH:MM:SS in UTC)"},
	}
}

// asOf reads --at-version and --as-of.
func asOf(c *ucli.Context) (adapter.AsOf, error) {
	var at adapter.AsOf
	v, ts := c.Int64("at-version"), c.String("as-of")
	if c.IsSet("at-version") && v <= 0 {
		return at, &usageError{msg: fmt.Sprintf("--at-version must be a snapshot id (1 or more), not %d", v)}
	}
	if v > 0 && ts != "" {
		return at, &usageError{msg: "give either --at-version or --as-of, not both"}
	}
	at.Version = v
	if ts != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, ts); err == nil {
				at.Timestamp = t
				return at, nil
			}
		}
		return at, &usageError{msg: fmt.Sprintf("--as-of %q is not a time; write e.g. 2024-05-28T13:00:00Z or \"2024-05-28 13:00:00\" (UTC)", ts)}
	}
	return at, nil
}

// relationAt renders r at version at for a query on a.
func relationAt(a adapter.Adapter, r adapter.Relation, at adapter.AsOf) (string, error) {
	tt, ok := a.(adapter.TimeTraveler)
	if !ok || !tt.KeepsHistory() {
		return "", fmt.Errorf("reading a past version (--at-version, --as-of) needs a ducklake target; a %s target keeps no history", a.Type())
	}
	return tt.RelationAt(r, at)
}

// debugSnapshots is how many of a lake's snapshots ingot debug lists.
const debugSnapshots = 10

// printSnapshots lists a lake's recent snapshots; other targets have none.
func printSnapshots(ctx context.Context, w io.Writer, a adapter.Adapter) error {
	tt, ok := a.(adapter.TimeTraveler)
	if !ok || !tt.KeepsHistory() {
		return nil
	}
	snaps, err := tt.Snapshots(ctx, debugSnapshots)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "snapshots (newest first; ingot show --at-version ID reads one):\n")
	for _, s := range snaps {
		fmt.Fprintf(w, "  %-6s %s  %s\n", strconv.FormatInt(s.ID, 10), s.Time.UTC().Format("2006-01-02 15:04:05"), adapter.Clip(s.Changes, 120))
	}
	return nil
}
