package parity

import (
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestCompare(t *testing.T) {
	cols := []adapter.Column{{Name: "a"}, {Name: "b"}}
	ts := time.Date(2024, 5, 28, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a, b [][]any
		want string // substring of the diff; "" = equal
	}{
		{"equal in any order", [][]any{{int64(1), "x"}, {int64(2), nil}}, [][]any{{int64(2), nil}, {float64(1), "x"}}, ""},
		{"within tolerance", [][]any{{41416.66, ts}}, [][]any{{41416.66 * (1 + 1e-12), ts.In(time.FixedZone("x", 3600))}}, ""},
		{"number differs", [][]any{{41416.66, "x"}}, [][]any{{41416.67, "x"}}, "- duckdb only:   (41416.66 | x)"},
		{"extra row", [][]any{{int64(1), "x"}}, [][]any{{int64(1), "x"}, {int64(1), "x"}}, "+ postgres only: (1 | x)"},
		{"null vs value", [][]any{{nil, "x"}}, [][]any{{int64(0), "x"}}, "difference"},
	}
	for _, tt := range tests {
		got := CompareNamed("duckdb", &adapter.Rows{Columns: cols, Rows: tt.a}, "postgres", &adapter.Rows{Columns: cols, Rows: tt.b}, 1e-9)
		if tt.want == "" && got != "" {
			t.Errorf("%s: unexpected diff:\n%s", tt.name, got)
		}
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s: diff\n%s\nwant it to contain %q", tt.name, got, tt.want)
		}
	}
	got := CompareNamed("duckdb", &adapter.Rows{Columns: cols}, "postgres", &adapter.Rows{Columns: cols[:1]}, 1e-9)
	if !strings.Contains(got, "columns differ") {
		t.Errorf("column mismatch not reported: %q", got)
	}
	got = CompareNamed("incremental", &adapter.Rows{Columns: cols, Rows: [][]any{{int64(1), "x"}}}, "full", &adapter.Rows{Columns: cols, Rows: [][]any{{int64(2), "x"}}}, 1e-9)
	for _, want := range []string{"(incremental 1 rows, full 1 rows)", "- incremental only: (1 | x)", "+ full only:        (2 | x)"} {
		if !strings.Contains(got, want) {
			t.Errorf("named diff\n%s\nwant it to contain %q", got, want)
		}
	}
}
