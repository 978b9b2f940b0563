package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/scaffold"
	"github.com/ingot-dev/ingot/internal/state"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// everydayCommands are the dbt commands beyond build: init, parse,
// run-operation, snapshot, source freshness and retry.
func (e *env) everydayCommands() []*ucli.Command {
	return []*ucli.Command{
		{
			Name:      "init",
			Usage:     "create a new project NAME (DuckDB profile, a seed, a bronze/silver/gold chain, tests) that ingot build builds at once",
			ArgsUsage: "NAME",
			Flags:     globalFlags(),
			Action:    e.initCmd,
		},
		{
			Name:   "parse",
			Usage:  "parse the project and write target/manifest.json only, timing each phase",
			Flags:  commandFlags(),
			Action: e.parseCmd,
		},
		{
			Name:      "run-operation",
			Usage:     "run a macro's SQL against the target: ingot run-operation MACRO --args '{key: value}'",
			ArgsUsage: "MACRO",
			Flags: commandFlags(
				&ucli.StringFlag{Name: "args", Usage: "YAML mapping passed to the macro as its dot, e.g. '{days: 7}'"},
				&ucli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "how long to wait for another run on the same target to finish"},
			),
			Action: e.runOperationCmd,
		},
		e.sourceCommand(),
		{
			Name:   "retry",
			Usage:  "run again, with the same command and flags, only what failed or was skipped in the last run (target/run_results.json)",
			Flags:  globalFlags(),
			Action: e.retryCmd,
		},
	}
}

func (e *env) initCmd(c *ucli.Context) error {
	if err := e.setup(c); err != nil {
		return err
	}
	if c.Args().Len() != 1 {
		return &usageError{msg: "init needs one argument, the project name: ingot init NAME"}
	}
	name := c.Args().First()
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	written, err := scaffold.Create(dir, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Created project %s with %d files:\n", name, len(written))
	for _, f := range written {
		fmt.Fprintf(e.stdout, "  %s\n", filepath.ToSlash(filepath.Join(name, f)))
	}
	fmt.Fprintf(e.stdout, "\nNext: cd %s && ingot build\n", name)
	return nil
}

func (e *env) parseCmd(c *ucli.Context) error {
	type phase struct {
		name string
		d    time.Duration
	}
	var phases []phase
	start := time.Now()
	s, err := e.loadTimed(c, func(name string, d time.Duration) { phases = append(phases, phase{name, d}) })
	if err != nil {
		return err
	}
	mark := time.Now()
	meta := artifacts.Metadata{Version: version, GeneratedAt: s.started.UTC(), Project: s.proj.Name,
		Target: s.target.Name, TargetType: s.target.Type, Command: "parse"}
	if err := artifacts.WriteManifest(s.proj.TargetDir(), meta, s.manifest); err != nil {
		return err
	}
	phases = append(phases, phase{"write manifest", time.Since(mark)})
	total := time.Since(start)
	counts := map[string]int{}
	for _, n := range s.manifest.Nodes {
		counts[n.Kind]++
	}
	path := filepath.ToSlash(filepath.Join(s.proj.TargetPath, "manifest.json"))
	if e.json {
		for _, p := range phases {
			b, _ := json.Marshal(map[string]any{"event": "parse_phase", "phase": p.name, "elapsed": p.d.Seconds()})
			fmt.Fprintln(e.stdout, string(b))
		}
		b, _ := json.Marshal(map[string]any{"event": "parse_done", "nodes": counts, "manifest": path, "elapsed": total.Seconds()})
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	rows := [][]string{}
	for _, p := range phases {
		rows = append(rows, []string{p.name, fmt.Sprintf("%.3fs", p.d.Seconds())})
	}
	rows = append(rows, []string{"total", fmt.Sprintf("%.3fs", total.Seconds())})
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "  %-16s %s\n", r[0], r[1])
	}
	var parts []string
	for _, k := range []string{"model", "seed", "snapshot", "source", "test"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s%s", counts[k], k, plural(counts[k])))
		}
	}
	fmt.Fprintf(e.stdout, "Parsed %s into %s\n", strings.Join(parts, ", "), path)
	return nil
}

func (e *env) runOperationCmd(c *ucli.Context) error {
	if c.Args().Len() > 1 && strings.HasPrefix(c.Args().Get(1), "-") {
		// Flags stop at the first argument; dbt users type them after the
		// macro name, so parse again with the name moved to the end.
		return e.app().RunContext(c.Context, moveToEnd(e.argv, c.Command.Name, c.Args().First()))
	}
	if c.Args().Len() != 1 {
		return &usageError{msg: "run-operation needs one argument, the macro name: ingot run-operation MACRO --args '{key: value}'"}
	}
	macro := c.Args().First()
	s, err := e.load(c)
	if err != nil {
		return err
	}
	eng := s.manifest.Engine
	if !eng.HasMacro(macro) && !eng.HasMacro(s.target.Type+"__"+macro) && !eng.HasMacro("default__"+macro) {
		msg := fmt.Sprintf("no macro named %q in %s", macro, strings.Join(s.proj.MacroPaths, ", "))
		if sug := textutil.Suggest(macro, eng.Macros()); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return &usageError{msg: msg}
	}
	call := "{{ " + macro + " }}"
	if raw := strings.TrimSpace(c.String("args")); raw != "" {
		var args map[string]any
		if err := yaml.Unmarshal([]byte(raw), &args); err != nil {
			return &usageError{msg: fmt.Sprintf("--args must be a YAML mapping like '{days: 7}': %s", strings.SplitN(err.Error(), "\n", 2)[0])}
		}
		js, err := json.Marshal(args)
		if err != nil {
			return &usageError{msg: fmt.Sprintf("--args: %s", err)}
		}
		call = "{{ " + macro + " (mustFromJson " + strconv.Quote(string(js)) + ") }}"
	}
	sql, err := s.manifest.RenderInline(c.Context, "run-operation "+macro, call)
	if err != nil {
		return err
	}
	if strings.TrimSpace(sql) == "" {
		fmt.Fprintf(e.stdout, "Macro %s rendered no SQL; nothing was run\n", macro)
		return nil
	}
	a, done, err := e.openLocked(c, s.target)
	if err != nil {
		return err
	}
	defer done()
	n, err := a.Exec(c.Context, sql)
	if err != nil {
		return fmt.Errorf("run-operation %s: %w\nSQL:\n%s", macro, err, sql)
	}
	if n >= 0 {
		fmt.Fprintf(e.stdout, "Ran macro %s on %s (%d row%s affected)\n", macro, s.target.Name, n, plural(int(n)))
	} else {
		fmt.Fprintf(e.stdout, "Ran macro %s on %s\n", macro, s.target.Name)
	}
	return nil
}

// moveToEnd returns argv with the first arg after command moved last.
func moveToEnd(argv []string, command, arg string) []string {
	out := make([]string, 0, len(argv))
	seenCmd, moved := false, false
	for _, a := range argv {
		if seenCmd && !moved && a == arg {
			moved = true
			continue
		}
		seenCmd = seenCmd || a == command
		out = append(out, a)
	}
	return append(out, arg)
}

// retryCmd re-runs the last command of target/run_results.json on the
// nodes that errored, failed or were skipped, with its original flags
// (--select and --exclude replaced by those nodes).
func (e *env) retryCmd(c *ucli.Context) error {
	p, err := e.loadProject(c)
	if err != nil {
		return err
	}
	st, err := state.Load(p.TargetDir())
	if err != nil || st.Command == "" {
		return &usageError{msg: fmt.Sprintf("nothing to retry: no run_results.json of a run, build, seed, snapshot or test in %s", p.TargetPath)}
	}
	var ids []string
	for id, status := range st.Results {
		if status == "error" || status == "fail" || status == "skipped" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(e.stdout, "Nothing to retry: every node of the last %s succeeded\n", st.Command)
		return nil
	}
	sort.Strings(ids)
	argv := append([]string{e.argv[0]}, withoutSelection(st.Args)...)
	argv = append(argv, "--select", strings.Join(ids, " "))
	if !e.json {
		fmt.Fprintf(e.stdout, "Retrying %d node%s of the last %s\n", len(ids), plural(len(ids)), st.Command)
	}
	return e.app().RunContext(c.Context, argv)
}

// withoutSelection drops --select, -s, -m and --exclude (with their
// values) from args.
func withoutSelection(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "select" || name == "s" || name == "m" || name == "exclude") {
			if !hasValue {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}
