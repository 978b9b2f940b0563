package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/run"
)

func runFlags() []ucli.Flag {
	return commandFlags(append(selectFlags(), runOnlyFlags()...)...)
}

// runOnlyFlags are the flags of run, seed, test and build; the app takes
// them before the command name too (ingot --threads 4 build), as dbt does.
func runOnlyFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.IntFlag{Name: "threads", Usage: "models built at once (default: the profile's threads)"},
		&ucli.BoolFlag{Name: "fail-fast", Aliases: []string{"x"}, Usage: "stop everything at the first failure"},
		&ucli.BoolFlag{Name: "full-refresh", Aliases: []string{"f"}, Usage: "rebuild incremental models and seeds from scratch"},
		&ucli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "how long to wait for another run on the same target to finish"},
		&ucli.BoolFlag{Name: "defer", Usage: "refs to unselected nodes missing from this target read the --state run's relations"},
	}
}

// durationFlag reads a duration flag given before or after the command.
func durationFlag(c *ucli.Context, name string) time.Duration {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.Duration(name)
		}
	}
	return c.Duration(name)
}

// intFlag reads an int flag given before or after the command.
func intFlag(c *ucli.Context, name string) int {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.Int(name)
		}
	}
	return c.Int(name)
}

func (e *env) runCommands() []*ucli.Command {
	return []*ucli.Command{
		{Name: "run", Usage: "build selected models in dependency order", Flags: runFlags(),
			Action: func(c *ucli.Context) error { return e.execute(c, "run", []string{compile.KindModel}) }},
		{Name: "snapshot", Usage: "record the history of changing rows: new versions for new and changed rows, valid_to for ended ones", Flags: runFlags(),
			Action: func(c *ucli.Context) error { return e.execute(c, "snapshot", []string{compile.KindSnapshot}) }},
		{Name: "seed", Usage: "load seed files (csv, json, parquet, xlsx) into tables", Flags: runFlags(),
			Action: func(c *ucli.Context) error { return e.execute(c, "seed", []string{compile.KindSeed}) }},
		{Name: "test", Usage: "run data tests and unit tests of selected nodes", Flags: runFlags(),
			Action: func(c *ucli.Context) error { return e.execute(c, "test", []string{compile.KindTest}) }},
		{Name: "build", Usage: "load seeds, build models and run their tests in one dependency-ordered walk", Flags: runFlags(),
			Action: func(c *ucli.Context) error {
				return e.execute(c, "build", []string{compile.KindSeed, compile.KindModel, compile.KindSnapshot, compile.KindTest})
			}},
		e.showCommand(),
		e.debugCommand(),
		e.cleanCommand(),
	}
}

// openLocked connects to t, waiting for a held database file up to
// --lock-timeout, and takes its run lock; done releases both.
func (e *env) openLocked(c *ucli.Context, t adapter.Target) (a adapter.Adapter, done func(), err error) {
	t.LockTimeout = durationFlag(c, "lock-timeout")
	a, err = e.openWaiting(c, t)
	if err != nil {
		return nil, nil, err
	}
	release, err := e.lock(c, a)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, func() { release(); a.Close() }, nil
}

// lock takes the target's run lock, saying so when it has to wait.
func (e *env) lock(c *ucli.Context, a adapter.Adapter) (func(), error) {
	release, err := a.Lock(c.Context, false)
	if errors.Is(err, adapter.ErrLocked) {
		wait := durationFlag(c, "lock-timeout")
		fmt.Fprintf(e.stderr, "another ingot run holds the lock on this target; waiting up to %s (--lock-timeout)\n", wait)
		ctx, cancel := context.WithTimeout(c.Context, wait)
		defer cancel()
		release, err = a.Lock(ctx, true)
		if err != nil && ctx.Err() != nil && c.Context.Err() == nil {
			return nil, fmt.Errorf("gave up after %s waiting for another ingot run on this target to finish (raise --lock-timeout)", wait)
		}
	}
	return release, err
}

func (e *env) execute(c *ucli.Context, command string, kinds []string) error {
	s, err := e.load(c)
	if err != nil {
		return err
	}
	ids, err := e.selection(c, s, kinds)
	if err != nil {
		return err
	}
	ctx := c.Context
	if command == "build" {
		// build walks models with their tests: add the edges that make a
		// model wait for its unit tests and its parents' tests.
		if err := s.manifest.BuildRunGraph(); err != nil {
			return err
		}
	}
	// Unit tests alone run in memory: no warehouse file is opened or locked.
	var a adapter.Adapter
	if needsWarehouse(s, ids) {
		var done func()
		if a, done, err = e.openLocked(c, s.target); err != nil {
			return err
		}
		defer done()
	}
	if err := e.deferRefs(c, s, a, ids); err != nil {
		return err
	}
	tester := newTester(s, a, boolFlag(c, "full-refresh"))
	defer closeTester(tester)

	targetDir := s.proj.TargetDir()
	meta := artifacts.Metadata{Version: version, GeneratedAt: s.started.UTC(), Project: s.proj.Name,
		Target: s.target.Name, TargetType: s.target.Type, Command: command, Args: e.argv[1:]}
	if err := artifacts.WriteManifest(targetDir, meta, s.manifest); err != nil {
		return err
	}
	p := e.newPrinter()
	r := &run.Runner{
		M: s.manifest, A: a,
		Tester: tester,
		Opts: run.Options{
			Threads: s.target.Threads, FailFast: boolFlag(c, "fail-fast"), FullRefresh: boolFlag(c, "full-refresh"),
			Caps: s.engine.Caps,
			WriteSQL: func(n *compile.Node, sql string) (string, error) {
				// As in dbt, run, build and snapshot leave each executed
				// node's rendered SQL in target/compiled/ as compile would;
				// the runner renders once and both copies come from it.
				if err := writeCompiled(s, n, "compiled", sql); err != nil {
					return "", err
				}
				if err := writeCompiled(s, n, "run", sql); err != nil {
					return "", err
				}
				return s.proj.Rel(compiledPath(s, n, "run")), nil
			},
		},
		Events: p.event,
	}
	if !e.json {
		fmt.Fprintf(e.stdout, "%s  Running with ingot %s on %s (%s), %d thread%s\n", clock(e.now()), version, s.target.Name, s.target.Type, s.target.Threads, plural(s.target.Threads))
	}
	start := time.Now()
	results := r.Run(ctx, ids)
	elapsed := time.Since(start)
	if err := artifacts.WriteRunResults(targetDir, meta, elapsed, results); err != nil {
		return err
	}
	failed := p.summary(results, elapsed)
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "ingot: cancelled; running statements were interrupted and no temporary relations are left")
		return &exitError{code: ExitFailure}
	}
	if failed {
		return &exitError{code: ExitFailure}
	}
	return nil
}

// printer turns run events into dbt-like lines or JSON events.
type printer struct {
	e  *env
	mu sync.Mutex
}

func (e *env) newPrinter() *printer { return &printer{e: e} }

func describe(n *compile.Node) string {
	switch n.Kind {
	case compile.KindModel:
		return n.Materialized() + " model " + n.Relation.String()
	case compile.KindSeed:
		return "seed file " + n.Relation.String()
	case compile.KindTest:
		return "test " + n.Name
	case compile.KindSnapshot:
		return "snapshot " + n.Relation.String()
	}
	return n.Kind + " " + n.Name
}

func (p *printer) event(ev run.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.e
	if e.json {
		j := map[string]any{"ts": e.now().UTC().Format(time.RFC3339Nano), "index": ev.Index, "total": ev.Total,
			"unique_id": ev.Node.ID, "name": ev.Node.Name, "resource_type": ev.Node.Kind}
		if ev.Node.Kind != compile.KindTest {
			j["relation"] = ev.Node.Relation.String()
		}
		if ev.Start {
			j["event"] = "node_start"
		} else {
			r := ev.Result
			j["event"] = "node_finish"
			j["status"] = r.Status
			j["execution_time"] = r.Duration.Seconds()
			if r.Message != "" {
				j["message"] = r.Message
			}
			if r.Rows >= 0 && ev.Node.Kind != compile.KindTest {
				j["rows_affected"] = r.Rows
			}
			if ev.Node.Kind == compile.KindTest && r.Status != run.StatusSkipped {
				j["failures"] = r.Failures
			}
			if r.Err != nil {
				j["error"] = r.Err.Error()
			}
			if r.SQLPath != "" {
				j["compiled_path"] = r.SQLPath
			}
		}
		b, _ := json.Marshal(j)
		fmt.Fprintln(e.stdout, string(b))
		return
	}
	prefix := fmt.Sprintf("%s  %d of %d ", clock(e.now()), ev.Index, ev.Total)
	if ev.Start {
		fmt.Fprintln(e.stdout, dots(prefix+"START "+describe(ev.Node), "[RUN]"))
		return
	}
	r := ev.Result
	var word, status string
	switch r.Status {
	case run.StatusSuccess:
		word = e.paint(green, "OK") + " " + okVerb(ev.Node)
		status = e.paint(green, orDefault(r.Message, "OK"))
	case run.StatusPass:
		word, status = e.paint(green, "PASS"), e.paint(green, "PASS")
	case run.StatusWarn:
		word, status = e.paint(yellow, "WARN "+fmt.Sprint(r.Failures)), e.paint(yellow, "WARN "+fmt.Sprint(r.Failures))
	case run.StatusFail:
		word, status = e.paint(red, "FAIL "+fmt.Sprint(r.Failures)), e.paint(red, "FAIL "+fmt.Sprint(r.Failures))
	case run.StatusSkipped:
		word, status = e.paint(yellow, "SKIP"), e.paint(yellow, "SKIP")
	default:
		word, status = e.paint(red, "ERROR")+" creating", e.paint(red, "ERROR")
	}
	fmt.Fprintln(e.stdout, dots(prefix+word+" "+describe(ev.Node), fmt.Sprintf("[%s in %.2fs]", status, r.Duration.Seconds())))
}

func okVerb(n *compile.Node) string {
	switch n.Kind {
	case compile.KindSeed:
		return "loaded"
	case compile.KindModel:
		return "created"
	case compile.KindSnapshot:
		return "snapshotted"
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func dots(left, right string) string {
	n := 80 - len(stripANSI(left)) - len(stripANSI(right)) - 2
	if n < 3 {
		n = 3
	}
	return left + " " + strings.Repeat(".", n) + " " + right
}

func stripANSI(s string) string {
	var b strings.Builder
	skip := false
	for _, r := range s {
		switch {
		case r == '\x1b':
			skip = true
		case skip && r == 'm':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clock(t time.Time) string { return t.Format("15:04:05") }

// summary prints failures in detail and the Done line; it reports whether
// anything failed.
func (p *printer) summary(results []run.Result, elapsed time.Duration) bool {
	e := p.e
	var pass, warn, errs, skip int
	for _, r := range results {
		switch r.Status {
		case run.StatusSuccess, run.StatusPass:
			pass++
		case run.StatusWarn:
			warn++
		case run.StatusSkipped:
			skip++
		default:
			errs++
		}
	}
	if e.json {
		b, _ := json.Marshal(map[string]any{"event": "summary", "pass": pass, "warn": warn, "error": errs, "skip": skip, "total": len(results), "elapsed": elapsed.Seconds()})
		fmt.Fprintln(e.stdout, string(b))
		for _, r := range results {
			if r.Failed() && r.Err != nil {
				e.printErr(r.Err)
			}
		}
		return errs > 0
	}
	fmt.Fprintf(e.stdout, "\n%s  Finished running %d node%s in %.2fs.\n", clock(e.now()), len(results), plural(len(results)), elapsed.Seconds())
	for _, r := range results {
		if !r.Failed() && r.Status != run.StatusWarn {
			continue
		}
		kind := "Failure"
		if r.Status == run.StatusWarn {
			kind = "Warning"
		}
		fmt.Fprintf(e.stdout, "\n%s in %s %s (%s)\n", e.paint(red, kind), r.Node.Kind, r.Node.Name, r.Node.Path)
		if r.Err != nil {
			fmt.Fprintf(e.stdout, "  %s\n", strings.ReplaceAll(r.Err.Error(), "\n", "\n  "))
			if at := modelLine(&r); at != "" {
				fmt.Fprintf(e.stdout, "  at %s\n", at)
			}
		}
		if r.Detail != "" {
			fmt.Fprintf(e.stdout, "%s\n", r.Detail)
		}
		if r.SQLPath != "" {
			fmt.Fprintf(e.stdout, "  compiled SQL at %s\n", r.SQLPath)
		}
	}
	done := fmt.Sprintf("Done. PASS=%d WARN=%d ERROR=%d SKIP=%d TOTAL=%d", pass, warn, errs, skip, len(results))
	switch {
	case errs > 0:
		done = e.paint(red, done)
	case warn > 0:
		done = e.paint(yellow, done)
	default:
		done = e.paint(green, done)
	}
	fmt.Fprintf(e.stdout, "\n%s\n", done)
	return errs > 0
}

func (e *env) cleanCommand() *ucli.Command {
	return &ucli.Command{
		Name:   "clean",
		Usage:  "remove the clean-targets folders (default target/); the warehouse file only with --warehouse",
		Flags:  commandFlags(&ucli.BoolFlag{Name: "warehouse", Usage: "also delete the DuckDB database file of the target"}),
		Action: e.cleanCmd,
	}
}

func (e *env) cleanCmd(c *ucli.Context) error {
	p, err := e.loadProject(c)
	if err != nil {
		return err
	}
	// The warehouse may live under target/ (path: target/ingot.duckdb); it
	// is data, not an artifact, so only --warehouse deletes it.
	var warehouse []string
	t, terr := p.LoadTarget(profileOpts(c, e))
	if lf, ok := t.Options.(adapter.LocalFiles); terr == nil && ok {
		warehouse = lf.WarehouseFiles()
	}
	if c.Bool("warehouse") {
		if terr != nil {
			return terr
		}
		if len(warehouse) == 0 {
			return &usageError{msg: "--warehouse only removes a warehouse kept in local files (a DuckDB database file)"}
		}
	}
	for _, ct := range p.CleanTargets {
		dir := filepath.Join(p.Root, filepath.FromSlash(ct))
		name := filepath.ToSlash(filepath.Clean(filepath.FromSlash(ct)))
		if c.Bool("warehouse") {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Removed %s/\n", name)
			continue
		}
		kept, err := removeArtifacts(dir, func(path string) bool {
			return slices.Contains(warehouse, path) ||
				strings.HasSuffix(path, ".duckdb") || strings.HasSuffix(path, ".duckdb.wal")
		})
		if err != nil {
			return err
		}
		if len(kept) == 0 {
			fmt.Fprintf(e.stdout, "Removed %s/\n", name)
			continue
		}
		for i, k := range kept {
			kept[i] = filepath.ToSlash(p.Rel(k))
		}
		fmt.Fprintf(e.stdout, "Removed %s/ but kept the database file %s (--warehouse deletes the target's)\n", name, strings.Join(kept, ", "))
	}
	if c.Bool("warehouse") {
		for _, f := range warehouse {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "Removed %s\n", filepath.ToSlash(p.Rel(warehouse[0])))
	}
	return nil
}

// removeArtifacts deletes everything under dir except the files keep
// accepts (and the folders holding them), and returns the files kept.
func removeArtifacts(dir string, keep func(path string) bool) ([]string, error) {
	var kept []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() && keep(path) {
			kept = append(kept, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(kept) == 0 {
		return nil, os.RemoveAll(dir)
	}
	keepSet := map[string]bool{}
	for _, k := range kept {
		for p := k; p != dir && p != filepath.Dir(p); p = filepath.Dir(p) {
			keepSet[p] = true
		}
	}
	var remove []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		if !keepSet[path] {
			remove = append(remove, path)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range remove {
		if err := os.RemoveAll(r); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// modelLine is "models/x.sql:N" when r failed with an engine error at a
// line of the model's compiled SQL that comes from line N of its template.
func modelLine(r *run.Result) string {
	var qe *adapter.QueryLineError
	if r.Node == nil || r.Node.Model == nil || r.SQL == "" || !errors.As(r.Err, &qe) {
		return ""
	}
	n, ok := diag.SourceLine(r.SQL, qe.Line, r.Node.Model.Src)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s:%d", r.Node.Model.Path, n)
}
