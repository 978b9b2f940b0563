package cli_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/laketest"
)

// snapshotLine is one snapshot ingot debug lists: id, UTC time, changes.
var snapshotLine = regexp.MustCompile(`(?m)^  (\d+) +(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)  (.*)$`)

// TestLakeTimeTravel: ingot debug lists a lake's snapshots, and show reads
// a model as it was at one of them, by id or by time.
func TestLakeTimeTravel(t *testing.T) {
	laketest.ExtensionDir(t)
	ctx := context.Background()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "project.yml"), "name: tt\n")
	write(t, filepath.Join(dir, "profiles.yml"), "default:\n  target: lake\n  outputs:\n    lake: "+laketest.Output("lake", 2)+
		"\n    dev: {type: duckdb, path: dev.duckdb}\n")
	write(t, filepath.Join(dir, "seeds/s.csv"), "id,v\n1,a\n")
	write(t, filepath.Join(dir, "models/gold/g.sql"), `{{ config "materialized" "table" }}select id, v from {{ ref "s" }}`)

	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := ingot(ctx, t, dir, args...)
		if code != want {
			t.Fatalf("ingot %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	newest := func() (id, at string) {
		t.Helper()
		out := run(0, "debug")
		m := snapshotLine.FindAllStringSubmatch(out, -1)
		if len(m) == 0 {
			t.Fatalf("ingot debug lists no snapshots:\n%s", out)
		}
		return m[0][1], m[0][2]
	}

	run(0, "build")
	v1, t1 := newest()
	// The next build commits in a later second than v1's, so --as-of a
	// second after v1 (debug shows whole seconds) still reads v1.
	time.Sleep(1100 * time.Millisecond)
	write(t, filepath.Join(dir, "seeds/s.csv"), "id,v\n1,a\n2,b\n")
	run(0, "build")
	v2, _ := newest()
	if v2 == v1 {
		t.Fatalf("the second build made no snapshot (newest still %s)", v1)
	}
	if out := run(0, "debug"); !strings.Contains(out, "snapshots (newest first") || !strings.Contains(out, "gold") {
		t.Errorf("debug does not say what the snapshots changed:\n%s", out)
	}

	rows := func(args ...string) int {
		t.Helper()
		out := run(0, append([]string{"show", "-s", "g", "-o", "csv", "--limit", "-1"}, args...)...)
		return strings.Count(strings.TrimSpace(out), "\n") // lines after the header
	}
	if n := rows(); n != 2 {
		t.Errorf("show: %d rows, want the second build's 2", n)
	}
	if n := rows("--at-version", v1); n != 1 {
		t.Errorf("show --at-version %s: %d rows, want the first build's 1", v1, n)
	}
	asOf, err := time.Parse("2006-01-02 15:04:05", t1)
	if err != nil {
		t.Fatal(err)
	}
	if n := rows("--as-of", asOf.Add(time.Second).Format(time.RFC3339)); n != 1 {
		t.Errorf("show --as-of a second after snapshot %s: %d rows, want the first build's 1", v1, n)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--at-version", "0"}, 2, "--at-version must be a snapshot id"},
		{[]string{"--at-version", v1, "--as-of", t1}, 2, "not both"},
		{[]string{"--as-of", "yesterday"}, 2, "is not a time"},
		{[]string{"--at-version", v1, "--target", "dev"}, 1, "needs a ducklake target"},
	} {
		if c.code == 1 {
			run(0, "build", "--target", "dev")
		}
		if out := run(c.code, append([]string{"show", "-s", "g"}, c.args...)...); !strings.Contains(out, c.want) {
			t.Errorf("show %s: %q not in\n%s", strings.Join(c.args, " "), c.want, out)
		}
	}
	if out := run(2, "show", "--inline", "select 1", "--at-version", v1); !strings.Contains(out, "AT (VERSION => N)") {
		t.Errorf("show --inline with --at-version:\n%s", out)
	}
}
