package parity

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/bench/notifications/eventgen"
	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

// notificationTables are the incremental notification models and the
// columns compared between incremental and full builds (_batch numbers
// builds, so it differs by design).
var notificationTables = []struct{ rel, cols string }{
	{"silver.notifications", "message_id, customer_id, customer_name, channel, payload, event_at, event_minute, _source_file, _source_file_lines"},
	{"gold.notifications_per_minute", "customer_id, customer_name, channel, minute, notifications, last_event_at"},
	{"gold.notifications_dashboard", "customer_id, customer_name, whatsapp_notifications, last_notification_at, _customer_name_at"},
	{"gold.notification_billing_daily", "customer_id, customer_name, day, whatsapp_notifications, amount, _customer_name_at"},
}

// renames2 and renames3 are hand-written events for customers of the
// generated stream, arriving with the second and third batch: a later name,
// a late event with an older name, the same instant under two names in
// different batches, and events without a name, so that merging a stored
// name with a new batch's is exercised beyond what the generator writes.
const renames2 = `{"customer_id":"C000003","message_id":"r1","customer_name":"Same A","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T00:00:00Z"}
{"customer_id":"C000005","message_id":"r2","customer_name":"Same B","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T00:00:00Z"}
{"customer_id":"C000004","message_id":"r3","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T00:40:00Z"}
`

const renames3 = `{"customer_id":"C000001","message_id":"r4","customer_name":"Zeta Renamed","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T01:00:00Z"}
{"customer_id":"C000002","message_id":"r5","customer_name":"Aaa Older","channel":"whatsapp","payload":"x","event_datetime":"2024-05-28T00:00:01Z"}
{"customer_id":"C000003","message_id":"r6","customer_name":"Same B","channel":"WhatsApp","payload":"x","event_datetime":"2024-05-30T00:00:00Z"}
{"customer_id":"C000005","message_id":"r7","customer_name":"Same A","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T00:00:00Z"}
{"customer_id":"C000004","message_id":"r8","channel":"whatsapp","payload":"x","event_datetime":"2024-05-30T00:30:00Z"}
`

// TestNotificationsIncrementalEqualsFull builds the notification pipeline
// incrementally over three arriving batches (late events, redeliveries
// within and across batches, renamed customers) and checks that every
// notification table then holds exactly what a --full-refresh build of the
// same files gives, on DuckDB and on PostgreSQL.
func TestNotificationsIncrementalEqualsFull(t *testing.T) {
	for _, engine := range []string{"duckdb", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dir := copyProject(t)
			target, dsn := engineProfile(t, dir, engine)
			events := filepath.Join(dir, "seeds", "notifications")
			example, err := filepath.Glob(filepath.Join(events, "*.jsonl"))
			if err != nil || len(example) < 2 {
				t.Fatalf("the example should have at least two notification files, found %v (%v)", example, err)
			}
			// The example's later files arrive with the later batches.
			held := map[string][]byte{}
			for _, f := range example[1:] {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				held[f] = b
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}

			cfg := eventgen.Defaults(4000)
			cfg.Customers = 25
			cfg.DuplicateRate = 0.05
			batch := func(name string, c eventgen.Config, extra string) eventgen.Stats {
				t.Helper()
				var b bytes.Buffer
				st, err := eventgen.Write(context.Background(), &b, c)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(extra)
				if err := os.WriteFile(filepath.Join(events, name), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return st
			}
			build := func(args ...string) {
				t.Helper()
				ingot(t, dir, append([]string{"build", "--target", target, "-s", "+gold.notifications_per_minute", "-s", "+gold.notifications_dashboard", "-s", "+gold.notification_billing_daily", "--exclude", "test_type:unit"}, args...)...)
			}

			first := batch("gen-1.jsonl", cfg, "")
			build("--full-refresh")

			more := cfg
			more.N, more.FirstSeq, more.LateRate, more.LateFrom, more.LateWindow = 400, first.NextSeq, 0.3, first.NextSeq, 20*time.Hour
			second := batch("gen-2.jsonl", more, renames2)
			for f, b := range held {
				if err := os.WriteFile(f, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			build()

			more.FirstSeq = second.NextSeq
			batch("gen-3.jsonl", more, renames3)
			build()
			build() // nothing new: must change nothing
			incremental := snapshot(t, dir, dsn)

			build("--full-refresh")
			full := snapshot(t, dir, dsn)
			for _, tb := range notificationTables {
				a, b := incremental[tb.rel], full[tb.rel]
				if len(b.Rows) == 0 {
					t.Errorf("%s is empty after the full build", tb.rel)
				}
				if d := CompareNamed("incremental", a, "full", b, 1e-9); d != "" {
					t.Errorf("%s after incremental builds differs from a full build:\n%s", tb.rel, d)
				}
			}
		})
	}
}

// engineProfile writes dir's profiles.yml for engine ("duckdb": the file
// inc.duckdb; "postgres": a database of this test) and returns the target
// to build and, for PostgreSQL, the database's DSN.
func engineProfile(t *testing.T, dir, engine string) (target, dsn string) {
	t.Helper()
	target = "dev"
	profiles := "default:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: inc.duckdb, threads: 4}\n"
	if engine == "postgres" {
		db := pgtest.New(t)
		target, dsn = "pg", db.DSN
		profiles += fmt.Sprintf("    pg: {type: postgres, host: '%s', port: %d, user: '%s', password: '%s', dbname: '%s', sslmode: disable, threads: 4, pg_duckdb: off}\n",
			db.Host, db.Port, db.User, db.Password, db.Name)
	}
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	return target, dsn
}

// openTarget opens the PostgreSQL database dsn or, without one, dir's
// DuckDB file.
func openTarget(t *testing.T, dir, dsn string) adapter.Adapter {
	t.Helper()
	ctx := context.Background()
	var db adapter.Adapter
	var err error
	if dsn != "" {
		db, err = postgres.Open(ctx, adapter.Target{Type: "postgres", Options: postgres.Options{DSN: dsn, PgDuckdb: "off"}})
	} else {
		db, err = duckdb.Open(ctx, adapter.Target{Type: "duckdb", Options: duckdb.Options{Path: filepath.Join(dir, "inc.duckdb")}})
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// snapshot reads the compared columns of every notification table, from
// the PostgreSQL database dsn or, without one, from dir's DuckDB file.
func snapshot(t *testing.T, dir, dsn string) map[string]*adapter.Rows {
	t.Helper()
	ctx := context.Background()
	db := openTarget(t, dir, dsn)
	defer db.Close()
	out := map[string]*adapter.Rows{}
	for _, tb := range notificationTables {
		schema, name, _ := strings.Cut(tb.rel, ".")
		rows, err := db.Query(ctx, "select "+tb.cols+" from "+db.Dialect().RelationSQL(adapter.Relation{Schema: schema, Name: name}), 0)
		if err != nil {
			t.Fatalf("%s: %v", tb.rel, err)
		}
		out[tb.rel] = rows
	}
	return out
}

// TestQuarantineRebuiltDayReplacesOldRows rebuilds a quarantine_global day
// that now has nobody in quarantine: the day's earlier rows must go, as
// they would with rows to insert (delete+insert alone deletes only the
// days it inserts).
func TestQuarantineRebuiltDayReplacesOldRows(t *testing.T) {
	for _, engine := range []string{"duckdb", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dir := copyProject(t)
			target, dsn := engineProfile(t, dir, engine)
			ingot(t, dir, "build", "--target", target, "-s", "+gold.quarantine_current")

			ctx := context.Background()
			db := openTarget(t, dir, dsn)
			defer db.Close()
			count := func(day string) string {
				t.Helper()
				rows, err := db.Query(ctx, "select count(*) from gold.quarantine_global where data_carga = cast('"+day+"' as date)", 0)
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(rows.Rows[0][0])
			}
			// An old snapshot of 2000-01-01 (every send is later, so a build
			// of that day finds nobody in quarantine).
			if _, err := db.Exec(ctx, "insert into gold.quarantine_global select * from gold.quarantine_global"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, "update gold.quarantine_global set data_carga = cast('2000-01-01' as date) where data_carga <> cast('2000-01-01' as date) and id_cliente in (select id_cliente from gold.quarantine_global limit 1)"); err != nil {
				t.Fatal(err)
			}
			if n := count("2000-01-01"); n == "0" {
				t.Fatal("setting up the old snapshot failed")
			}
			ingot(t, dir, "run", "--target", target, "-s", "gold.quarantine_global", "--vars", "{data_carga: 2000-01-01}")
			if n := count("2000-01-01"); n != "0" {
				t.Errorf("2000-01-01 keeps %s old rows after a rebuild that found nobody in quarantine", n)
			}
		})
	}
}
