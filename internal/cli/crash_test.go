package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver the PostgreSQL reader opens

	"github.com/ingot-dev/ingot/bench/notifications/eventgen"
	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/exampletest"
	"github.com/ingot-dev/ingot/internal/laketest"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

// The crash test: after a build of the example, ingot builds the
// notification pipeline again and again, each time with a new file of
// events and a new price, and is killed with SIGKILL at moments spread over
// the build: while ingot starts, while a seed loads, an incremental model
// appends or merges, a table is swapped in (--full-refresh rounds), a test
// runs, and after the last node. After each kill every gold table holds the
// rows of its last commit, no temporary relation is left, and the next
// build passes.

// crashSelection is what the killed builds run: an incremental seed, a
// view, an append and three merges, and the singular tests that check the
// counts across them (each message counted once, the billing amounts).
// Generic and unit tests add nodes but no kind of moment.
var crashSelection = []string{
	"-s", "+gold.notifications_per_minute +gold.notifications_dashboard +gold.notification_billing_daily",
	"--exclude", "test_type:unit test_type:generic",
}

// crashWarehouse reads one engine's warehouse with a connection of its
// own, as a BI tool would.
type crashWarehouse struct {
	target string
	open   func() (*sql.DB, error)
	// keep holds the connection open across builds; a DuckDB file admits
	// no writer while a reader has it open.
	keep        bool
	prefix      string // before schema.name in a query ("lake." on the lake)
	catalog     string // narrows information_schema to the warehouse
	fingerprint func(relation string) string
	// leftovers lists relations named as ingot names its temporary ones
	// (name__ingot_tmp, __ingot_stage_name).
	leftovers string
	// settle, when set, waits until the killed build's sessions are gone:
	// PostgreSQL ends one only when it notices that its client died.
	settle func(context.Context, *sql.DB) error
	// variants is how many of the four ways to kill at a node (incremental
	// or full refresh, right at its start or some way in) each node gets.
	variants int

	db *sql.DB // the kept connection
}

const crashProfiles = `default:
  target: dev
  outputs:
    dev: {type: duckdb, path: crash.duckdb, threads: 4}
    lake: %s
`

func TestCrash(t *testing.T) {
	// The first build of DuckDB and PostgreSQL is the whole example; the
	// gold tables the pipeline does not build must survive every kill.
	example := []string{"build", "--exclude", "test_type:unit"}
	// The engines run side by side, whatever -parallel says: most of a
	// round is spent waiting for ingot processes.
	var wg sync.WaitGroup
	defer wg.Wait()
	run := func(name string, f func(*testing.T)) { wg.Go(func() { t.Run(name, f) }) }
	run("duckdb", func(t *testing.T) {
		dir := crashProject(t, "")
		crashRounds(t, dir, &crashWarehouse{
			target: "dev",
			open: func() (*sql.DB, error) {
				return sql.Open("duckdb", filepath.Join(dir, "crash.duckdb")+"?access_mode=read_only")
			},
			fingerprint: laketest.FingerprintQuery,
			leftovers:   "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE strpos(table_name, '__ingot') > 0",
			variants:    3,
		}, example...)
	})
	run("postgres", func(t *testing.T) {
		db := pgtest.New(t)
		dir := crashProject(t, fmt.Sprintf("    pg: {type: postgres, host: '%s', port: %d, user: '%s', password: '%s', dbname: '%s', sslmode: disable, threads: 4, pg_duckdb: off}\n",
			db.Host, db.Port, db.User, db.Password, db.Name))
		crashRounds(t, dir, &crashWarehouse{
			target: "pg",
			open:   func() (*sql.DB, error) { return sql.Open("pgx", db.DSN) },
			keep:   true,
			// An order-independent digest of the rows' text forms.
			fingerprint: func(rel string) string {
				return "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM " + rel + " AS t"
			},
			// Every kind of relation, indexes included, in every schema.
			leftovers: "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE strpos(c.relname, '__ingot') > 0",
			settle:    pgSettle,
			variants:  3,
		}, example...)
	})
	run("lake", func(t *testing.T) {
		ext := laketest.ExtensionDir(t)
		dir := crashProject(t, "")
		attach := duckdb.AttachSQL(adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: filepath.Join(dir, "lake", "catalog.sqlite")}}, true)
		// A lake commit costs many times a DuckDB file's: the first build
		// is the pipeline alone, and each node is killed one way only.
		crashRounds(t, dir, &crashWarehouse{
			target:      "lake",
			open:        func() (*sql.DB, error) { return laketest.OpenReader(ext, attach) },
			keep:        true,
			prefix:      duckdb.LakeAlias + ".",
			catalog:     " AND table_catalog = '" + duckdb.LakeAlias + "'",
			fingerprint: laketest.FingerprintQuery,
			leftovers:   "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE strpos(table_name, '__ingot') > 0 AND table_catalog = '" + duckdb.LakeAlias + "'",
			variants:    1,
		}, append([]string{"build"}, crashSelection...)...)
	})
}

// crashProject copies the example with a profiles.yml of a DuckDB file
// target dev, a lake target lake and the outputs in extra.
func crashProject(t *testing.T, extra string) string {
	t.Helper()
	dir := exampletest.Temp(t, "../..")
	write(t, filepath.Join(dir, "profiles.yml"), fmt.Sprintf(crashProfiles, laketest.Output("lake", 4))+extra)
	return dir
}

// pgSettle waits until no session but db's own is connected to its
// database.
func pgSettle(ctx context.Context, db *sql.DB) error {
	const q = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d sessions of the killed build are still connected after 30s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// buildEvent is one line of `ingot build --log-format json`.
type buildEvent struct {
	Event         string          `json:"event"`
	UniqueID      string          `json:"unique_id"`
	ResourceType  string          `json:"resource_type"`
	Status        string          `json:"status"`
	Message       string          `json:"message"`
	Error         json.RawMessage `json:"error"` // a message, or the summary's count
	ExecutionTime float64         `json:"execution_time"`
	Total         int             `json:"total"`
}

// crashRound is one killed build: with --full-refresh or not, killed delay
// after the node_start of node (a unique_id), after the process started
// (node atStart), or after the last node_finish (node atEnd).
type crashRound struct {
	full  bool
	node  string
	delay time.Duration
}

const (
	atStart = "start"
	atEnd   = "end"
)

func (r crashRound) String() string {
	mode := "incremental"
	if r.full {
		mode = "full refresh"
	}
	return fmt.Sprintf("%s %s+%s", mode, r.node, r.delay.Round(time.Microsecond))
}

// crashRounds builds dir with first, then, after two passing builds of
// the pipeline, runs the killed rounds on w: new input, a build killed at
// the round's moment, the checks, and a build of the same input and flags
// that must pass. Each model commits on its own, so after a kill a gold
// table holds what the last passing build left when the killed build had
// not started it, what the next passing build gives (the same input) when
// it had finished it, and one of the two in between.
func crashRounds(t *testing.T, dir string, w *crashWarehouse, first ...string) {
	start := time.Now()
	t.Cleanup(func() {
		if w.db != nil {
			w.db.Close()
		}
	})
	runIngot(t, dir, append(first, "--target", w.target)...)
	gold := w.goldTables(t)
	for _, g := range []string{"notifications_per_minute", "notifications_dashboard", "notification_billing_daily"} {
		if !slices.Contains(gold, g) {
			t.Fatalf("the first build made gold tables %v, without %s", gold, g)
		}
	}

	var seq int64
	round := 0
	args := func(full bool) []string {
		round++
		seq = crashInput(t, dir, round, seq)
		a := append([]string{"build", "--target", w.target, "--log-format", "json", "--vars", crashVars(round)}, crashSelection...)
		if full {
			a = append(a, "--full-refresh")
		}
		return a
	}
	// Passing builds of both kinds say which nodes the builds run, in what
	// order, what each does and for how long.
	var ref [2][]buildEvent
	for i, full := range []bool{false, true} {
		b := killBuild(t, dir, args(full), crashRound{node: "never"})
		if b.killed {
			t.Fatal("a passing build was killed")
		}
		ref[i] = b.events
	}
	kinds := map[bool]map[string]string{false: nodeKinds(t, ref[0]), true: nodeKinds(t, ref[1])}
	rounds := crashSchedule(t, ref[0], ref[1], kinds[false], w.variants)
	prev := w.read(t, gold)

	hit := map[string]int{}
	var kills, kept, committed int
	for _, r := range rounds {
		// A kill may miss its moment (the node was over before the kill
		// landed, or the build was): it is checked all the same, and the
		// moment tried again, right at the node's start.
		for try := 0; ; try++ {
			b := crashRun(t, dir, w, args(r.full), r, kinds[r.full], gold, &prev)
			if b.killed {
				kills++
				for _, k := range b.during {
					hit[k]++
				}
				kept += b.kept
				committed += b.committed
			}
			if b.hit || try == 2 {
				break
			}
			t.Logf("round %d: the kill at %s missed its moment; again", round, r)
			r.delay = 0
		}
	}
	// A build may end before a kill after its last node lands, however
	// often it is tried.
	if kills < len(rounds)-1 {
		t.Errorf("only %d of %d builds were killed", kills, len(rounds))
	}
	// The input changes every round, so kills must have found gold tables
	// both still old and already new.
	if kept == 0 || committed == 0 {
		t.Errorf("after the kills, %d gold tables held their previous rows and %d the new ones; want some of each", kept, committed)
	}
	for _, k := range []string{"seed load", "incremental append", "incremental merge", "table swap", "test"} {
		if hit[k] == 0 {
			t.Errorf("no kill landed during a %s (kills landed during %v)", k, hit)
		}
	}
	t.Logf("%d kills in %s; running at the kills: %v; gold tables after a kill: %d still old, %d already new",
		kills, time.Since(start).Round(time.Millisecond), hit, kept, committed)
}

// crashResult is what crashRun saw.
type crashResult struct {
	killedBuild
	hit             bool     // the kill landed at its moment
	during          []string // what the nodes running at the kill did
	kept, committed int      // gold tables the round changes, still old and already new after the kill
}

// crashRun runs one round on w with args: a build killed at r, the
// checks, and a passing build, after which prev holds the gold tables'
// fingerprints. It reports whether the kill landed at r's moment, and how
// many gold tables changed by the round held their old and their new rows
// after the kill.
func crashRun(t *testing.T, dir string, w *crashWarehouse, args []string, r crashRound, kinds map[string]string, gold []string, prev *map[string]laketest.Fingerprint) (out crashResult) {
	t.Helper()
	b := killBuild(t, dir, args, r)
	out.killedBuild = b
	if !b.killed {
		// It finished first: a plain passing build.
		*prev = w.read(t, gold)
		return out
	}
	started, finished := nodeStates(b.events)
	switch r.node {
	case atStart:
		out.hit = len(started) == 0
	case atEnd:
		out.hit = true
	default:
		out.hit = started[r.node] && !finished[r.node]
	}
	out.during = running(b.events, kinds)
	during := out.during
	for _, ev := range b.events {
		if ev.Event == "node_finish" && !slices.Contains([]string{"success", "pass"}, ev.Status) {
			t.Errorf("killed at %s: before the kill, %s ended %s: %s", r, ev.UniqueID, ev.Status, string(ev.Error))
		}
	}
	after := w.read(t, gold)
	passingBuild(t, dir, args)
	next := w.read(t, gold)
	for _, g := range gold {
		id := "model.gold." + g
		p, n, got := (*prev)[g], next[g], after[g]
		switch {
		case !started[id] && got != p:
			t.Errorf("killed at %s during %v: gold.%s was not started before the kill, yet holds %+v, not its previous %+v", r, during, g, got, p)
		case finished[id] && got != n:
			t.Errorf("killed at %s during %v: gold.%s was built before the kill, yet holds %+v, not the %+v a passing build gives", r, during, g, got, n)
		case got != p && got != n:
			t.Errorf("killed at %s during %v: gold.%s holds %+v: neither its previous %+v nor the new %+v", r, during, g, got, p, n)
		case p == n:
		case got == p:
			out.kept++
		default:
			out.committed++
		}
	}
	*prev = next
	return out
}

// crashInput writes round's notification events as a new file (late
// events and redeliveries of earlier rounds' included) and returns the
// sequence number the next round continues from.
func crashInput(t *testing.T, dir string, round int, seq int64) int64 {
	t.Helper()
	c := eventgen.Defaults(60)
	c.FirstSeq = seq
	c.Epoch = time.Date(2024, 5, 29, 0, 0, 0, 0, time.UTC)
	c.Step = 7 * time.Minute
	c.Customers = 6
	c.DuplicateRate = 0.1
	c.LateRate, c.LateWindow = 0.25, 12*time.Hour
	st, err := eventgen.WriteFile(context.Background(), filepath.Join(dir, "seeds", "notifications", fmt.Sprintf("crash-%02d.jsonl", round)), c)
	if err != nil {
		t.Fatal(err)
	}
	return st.NextSeq
}

// crashVars changes the notification price every round, so that the
// billing merge reprices every stored day.
func crashVars(round int) string {
	return fmt.Sprintf("{price_per_notification: 0.0%d}", 3+round%3)
}

// passingBuild runs ingot with args, which must pass within two minutes.
func passingBuild(t *testing.T, dir string, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ingotCmd(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("ingot %s still ran after 2m; it wrote:\n%s%s", strings.Join(args, " "), out, stderr.String())
	}
	if err != nil {
		t.Fatalf("ingot %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
}

// killedBuild is what killBuild saw.
type killedBuild struct {
	events []buildEvent
	killed bool
}

// killBuild runs ingot with args and kills it at r's moment. It returns
// the events the build wrote before it died (or ended) and whether it was
// killed.
func killBuild(t *testing.T, dir string, args []string, r crashRound) (b killedBuild) {
	t.Helper()
	cmd := ingotCmd(context.Background(), dir, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var timer *time.Timer
	kill := func() {
		timer = time.AfterFunc(r.delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	}
	if r.node == atStart {
		kill()
	}
	finished := 0
	// Reading on after the kill collects every event written before it:
	// ingot writes each line straight to its stdout.
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev buildEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Errorf("ingot %s: a line that is not a JSON event: %q", strings.Join(args, " "), sc.Text())
			continue
		}
		b.events = append(b.events, ev)
		if ev.Event == "node_finish" {
			finished++
		}
		if timer == nil && (ev.Event == "node_start" && ev.UniqueID == r.node ||
			r.node == atEnd && ev.Event == "node_finish" && finished == ev.Total) {
			kill()
		}
	}
	err = cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			b.killed = true
			return b
		}
	}
	if err != nil {
		t.Fatalf("ingot %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return b
}

// nodeKinds says what each node of a passing build did: "seed load",
// "table swap", "incremental merge", "incremental append", "view" or
// "test".
func nodeKinds(t *testing.T, events []buildEvent) map[string]string {
	t.Helper()
	kinds := map[string]string{}
	for _, ev := range events {
		if ev.Event != "node_finish" {
			continue
		}
		switch m := ev.Message; {
		case ev.ResourceType == "seed":
			kinds[ev.UniqueID] = "seed load"
		case ev.ResourceType == "test":
			kinds[ev.UniqueID] = "test"
		case strings.HasPrefix(m, "MERGE"):
			kinds[ev.UniqueID] = "incremental merge"
		case strings.HasPrefix(m, "INSERT"):
			kinds[ev.UniqueID] = "incremental append"
		case strings.HasPrefix(m, "CREATE TABLE"):
			kinds[ev.UniqueID] = "table swap"
		case strings.HasPrefix(m, "CREATE VIEW"):
			kinds[ev.UniqueID] = "view"
		default:
			t.Fatalf("a passing build's %s ended with %q, not a message this test knows", ev.UniqueID, m)
		}
	}
	return kinds
}

// crashSchedule lists the rounds from passing builds' events, incremental
// (incr, whose nodes do what kinds says) and full refresh (full): one kill
// while ingot starts, variants kills at each node but views, and one after
// the last node. The four ways to kill at a node are full refresh right at
// its start, incremental right at its start, incremental some way in (up
// to as long as it took) and full refresh some way in; each node starts at
// the next of them, so that with a single variant the seed still loads,
// the first model appends and the later ones merge or are swapped in.
func crashSchedule(t *testing.T, incr, full []buildEvent, kinds map[string]string, variants int) []crashRound {
	t.Helper()
	took := map[bool]map[string]time.Duration{false: {}, true: {}}
	for i, events := range [][]buildEvent{incr, full} {
		for _, ev := range events {
			if ev.Event == "node_finish" {
				took[i == 1][ev.UniqueID] = max(time.Duration(ev.ExecutionTime*float64(time.Second)), time.Millisecond)
			}
		}
	}
	ways := []struct{ full, into bool }{{true, false}, {false, false}, {false, true}, {true, true}}
	// Fixed, so that a failing schedule can be run again; the timing of
	// the builds varies anyway.
	rng := rand.New(rand.NewPCG(16, 1))
	rounds := []crashRound{{node: atStart, delay: time.Duration(rng.Int64N(int64(400 * time.Millisecond)))}}
	i := 0
	for _, ev := range incr {
		// A view's replacement is one statement, like a swap's last.
		if ev.Event != "node_start" || kinds[ev.UniqueID] == "view" {
			continue
		}
		for j := range variants {
			w := ways[(i+j)%len(ways)]
			r := crashRound{full: w.full, node: ev.UniqueID}
			if w.into {
				r.delay = time.Duration(rng.Int64N(int64(took[w.full][ev.UniqueID])))
			}
			rounds = append(rounds, r)
		}
		i++
	}
	return append(rounds, crashRound{node: atEnd})
}

// nodeStates says which nodes events started and which they finished.
func nodeStates(events []buildEvent) (started, finished map[string]bool) {
	started, finished = map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		switch ev.Event {
		case "node_start":
			started[ev.UniqueID] = true
		case "node_finish":
			finished[ev.UniqueID] = true
		}
	}
	return started, finished
}

// running names what the nodes started and not finished in events do, or
// where the build was when none was running.
func running(events []buildEvent, kinds map[string]string) []string {
	started, finished := nodeStates(events)
	var out []string
	for id := range started {
		if !finished[id] {
			out = append(out, kinds[id])
		}
	}
	switch {
	case len(out) > 0:
		slices.Sort(out)
	case len(started) == 0:
		out = append(out, "before the first node")
	case len(finished) == events[len(events)-1].Total:
		out = append(out, "after the last node")
	default:
		out = append(out, "between nodes")
	}
	return out
}

// goldTables lists the gold schema's tables.
func (w *crashWarehouse) goldTables(t *testing.T) []string {
	t.Helper()
	db, done := w.connect(t)
	defer done()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold' AND table_type = 'BASE TABLE'" + w.catalog + " ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	return scanNames(t, rows)
}

// read checks that no temporary relation is left and fingerprints the
// gold tables.
func (w *crashWarehouse) read(t *testing.T, gold []string) map[string]laketest.Fingerprint {
	t.Helper()
	db, done := w.connect(t)
	defer done()
	rows, err := db.Query(w.leftovers)
	if err != nil {
		t.Fatal(err)
	}
	if left := scanNames(t, rows); len(left) > 0 {
		t.Errorf("temporary relations left: %v", left)
	}
	out := map[string]laketest.Fingerprint{}
	for _, g := range gold {
		var f laketest.Fingerprint
		if err := db.QueryRow(w.fingerprint(w.prefix+"gold."+g)).Scan(&f.Rows, &f.Sum); err != nil {
			t.Fatalf("reading gold.%s: %v", g, err)
		}
		out[g] = f
	}
	return out
}

func scanNames(t *testing.T, rows *sql.Rows) []string {
	t.Helper()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	return out
}

// connect returns the warehouse, once what a killed build left running
// has ended, and the function to call when done reading.
func (w *crashWarehouse) connect(t *testing.T) (*sql.DB, func()) {
	t.Helper()
	db := w.db
	if db == nil {
		var err error
		if db, err = w.open(); err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
	}
	done := func() { db.Close() }
	if w.keep {
		w.db, done = db, func() {}
	}
	if w.settle != nil {
		if err := w.settle(context.Background(), db); err != nil {
			done()
			t.Fatal(err)
		}
	}
	return db, done
}
