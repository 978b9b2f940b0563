package postgres

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
)

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	envs := map[adapter.Adapter]*env{}
	adaptertest.Run(t, adaptertest.Opener{
		Open: func(t *testing.T, onStatement func(string)) adapter.Adapter {
			e := newEnv(t)
			if onStatement != nil {
				e.a = e.open(adapter.Target{OnStatement: onStatement})
			}
			mu.Lock()
			envs[e.a] = e
			mu.Unlock()
			return e.a
		},
		OpenSame: func(t *testing.T, a adapter.Adapter) adapter.Adapter {
			mu.Lock()
			e := envs[a]
			mu.Unlock()
			return e.open(adapter.Target{})
		},
		Dialect: adaptertest.Dialect{
			Integer: "integer", Varchar: "character varying", Decimal4_1: "numeric(4,1)",
			Leftovers: `select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
				where c.relname like '%ingot_tmp%' or c.relname like 'ingot_new_rows%'`,
			Series:          func(n int) string { return fmt.Sprintf("select generate_series(1, %d) as n", n) },
			SeriesType:      "integer",
			Long:            "select 2 as n from (select pg_sleep(30)) s",
			Running:         `select pid from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and pid <> pg_backend_pid() and state = 'active'`,
			ConversionError: "invalid input syntax for type integer",
			// PostgreSQL does not cast text to an integer column on insert.
			AppendMismatch: `column "id" is of type integer but expression is of type text`,
			// A scalar subquery runs at execution time, not when planning.
			Failing: "1/(SELECT 0)", FailingError: "division by zero",
			MissingRelation:     func(name string) string { return `ERROR: relation "` + name + `" does not exist` },
			ErrorLine:           "LINE 4:   no_such_col AS c\n" + strings.Repeat(" ", len("LINE 4:   ")) + "^",
			LockWaiters:         "select 1 from pg_locks where locktype = 'advisory' and not granted",
			NoTransaction:       "vacuum {rel}",
			NoTransactionError:  "cannot run inside a transaction block",
			ReportsAddedColumns: true,
			CancelledError:      "canceling statement",
			DuplicateMergeKey:   "MERGE command cannot affect row a second time",
			Seeds: adaptertest.SeedDialect{
				BigInt: "bigint", Double: "double precision", Text: "text", Date: "date", Decimal12_2: "numeric(12,2)",
				WriteParquet:  func(t *testing.T, _ adapter.Adapter, query, path string) { duckCopy(t, query, path, "parquet") },
				FailedReplace: []string{`DELETE FROM "seeds"."ev" WHERE "_source_file" IN ('seeds/ev/b.jsonl')`},
				Loads:         pgLoads,
			},
		},
	})
}

// pgLoads reads, from the statements a seed load sent, the relation rows
// were copied into. Files are read in the client, so statements do not
// tell which.
func pgLoads(sent []string) (into string, read []string) {
	for _, q := range sent {
		if rest, ok := strings.CutPrefix(q, "copy "); ok {
			if into != "" {
				return "more than one copy", nil
			}
			into, _, _ = strings.Cut(rest, " (")
		}
	}
	return into, nil
}
