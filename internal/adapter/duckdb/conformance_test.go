package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
)

// testTarget is the target every test of this package opens; "" is an
// in-memory database, given as a target without options (the default).
func testTarget(path string) adapter.Target {
	t := adapter.Target{Name: "dev", Type: "duckdb", Threads: 4}
	if path != "" {
		t.Options = Options{Path: path}
	}
	return t
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Opener{
		Open: func(t *testing.T, onStatement func(string)) adapter.Adapter {
			tgt := testTarget(filepath.Join(t.TempDir(), "w.duckdb"))
			tgt.OnStatement = onStatement
			a, err := Open(context.Background(), tgt)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			return a
		},
		Dialect: adaptertest.Dialect{
			Integer: "INTEGER", Varchar: "VARCHAR", Decimal4_1: "DECIMAL(4,1)",
			Leftovers:       "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_name LIKE '%__ingot_%'",
			Series:          func(n int) string { return fmt.Sprintf("SELECT range + 1 AS n FROM range(%d)", n) },
			NoResultColumns: []adapter.Column{{Name: "Count", Type: "BIGINT"}},
			SeriesType:      "BIGINT",
			Long:            "SELECT count(*) AS n FROM range(10000000000) a WHERE a.range % 7 = 3",
			// DuckDB casts text to an integer column when appending.
			ConversionError: "Could not convert", AppendMismatch: "Could not convert",
			Failing: "error('boom')", FailingError: "boom",
			MissingRelation: func(name string) string { return "Table with name " + name + " does not exist" },
			ErrorLine:       "LINE 4:",
			Seeds: adaptertest.SeedDialect{
				BigInt: "BIGINT", Double: "DOUBLE", Text: "VARCHAR", Date: "DATE", Decimal12_2: "DECIMAL(12,2)",
				WriteParquet: func(t *testing.T, a adapter.Adapter, query, path string) {
					if _, err := a.Exec(context.Background(), "COPY ("+query+") TO '"+path+"' (FORMAT parquet)"); err != nil {
						t.Fatal(err)
					}
				},
				FailedReplace: []string{`DELETE FROM "seeds"."ev" WHERE "_source_file" IN ('seeds/ev/b.jsonl')`, "INSERT INTO", "ROLLBACK"},
				Loads:         duckLoads,
				DescribesFiles: func(sent []string) bool {
					return slices.ContainsFunc(sent, func(q string) bool { return strings.Contains(q, "read_json") })
				},
			},
		},
	})
}

// duckLoads reads, from the statements a seed load sent, the relation
// rows were written into and the statements reading files.
func duckLoads(sent []string) (into string, read []string) {
	read = []string{}
	for _, q := range sent {
		if !strings.Contains(q, "read_json") || strings.HasPrefix(q, "DESCRIBE") {
			continue
		}
		read = append(read, q)
		for _, p := range []string{"INSERT INTO ", "CREATE TABLE ", "CREATE OR REPLACE TABLE "} {
			if rest, ok := strings.CutPrefix(q, p); ok {
				into, _, _ = strings.Cut(rest, " ")
			}
		}
	}
	return into, read
}
