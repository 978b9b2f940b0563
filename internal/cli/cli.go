// Package cli is ingot's command line: flags become options, core packages
// return values, and only this package prints.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // a node failed or the project has errors
	ExitUsage   = 2 // bad command line or internal failure
)

// usageError marks command-line mistakes (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitError carries an exit code after output was already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs the CLI with args (args[0] is the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainWith(ctx, Engines(), args, stdin, stdout, stderr)
}

// MainWith is Main with the engines a run may use (a test registers
// engines of its own).
func MainWith(ctx context.Context, engines *adapter.Registry, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ingot: internal error: %v\nPlease report this with the command you ran.\n", r)
			code = ExitUsage
		}
	}()
	e := &env{engines: engines, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.LookupEnv, now: time.Now, argv: args}
	app := e.app()
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "ingot: %s\nRun 'ingot --help' for usage.\n", ue.msg)
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ingot: cancelled")
		return ExitFailure
	}
	e.printErr(err)
	return ExitFailure
}

// env is one invocation's I/O and environment.
type env struct {
	engines        *adapter.Registry
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	now            func() time.Time
	color          bool
	json           bool
	argv           []string // the command line, for commands that re-read it
}

func (e *env) app() *ucli.App {
	app := &ucli.App{
		Name:            "ingot",
		Usage:           "build SQL models into tables, dbt-style, on DuckDB or PostgreSQL",
		Version:         version,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		// dbt selectors use commas for intersection: never split on them.
		DisableSliceFlagSeparator: true,
		EnableBashCompletion:      false,
		ExitErrHandler:            func(*ucli.Context, error) {},
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			return &usageError{msg: err.Error()}
		},
		Flags:    append(globalFlags(), runOnlyFlags()...),
		Commands: e.commands(),
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return &usageError{msg: fmt.Sprintf("unknown command %q", c.Args().First())}
			}
			return ucli.ShowAppHelp(c)
		},
	}
	return app
}

const version = "0.1.0"

// globalFlags are accepted before or after the command name.
func globalFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "project-dir", Usage: "project directory (default: the current directory or the nearest parent with project.yml)", EnvVars: []string{"INGOT_PROJECT_DIR"}},
		&ucli.StringFlag{Name: "profiles-dir", Usage: "directory holding profiles.yml (default: the project directory)", EnvVars: []string{"INGOT_PROFILES_DIR"}},
		&ucli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "profile output to use (default: the profile's target)"},
		&ucli.StringFlag{Name: "vars", Usage: "YAML mapping of variables overriding project vars, e.g. '{as_of: 2024-01-01}'"},
		&ucli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json (one JSON event per line)"},
		&ucli.BoolFlag{Name: "no-color", Usage: "never colour output (colour is used only on a terminal)"},
	}
}

func selectFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "select", Aliases: []string{"s", "m"}, Usage: "nodes to include: name, schema.name, +name, name+, tag:x, path:models/gold, config.materialized:table, … (space = union, comma = intersection)"},
		&ucli.StringSliceFlag{Name: "exclude", Usage: "nodes to leave out (same syntax as --select)"},
		&ucli.StringFlag{Name: "state", Usage: "a previous run's target/ folder, for state:modified, state:new, result:… selectors and --defer"},
	}
}

// commandFlags gives every command the global flags too, so they work
// after the command name as dbt users type them.
func commandFlags(extra ...ucli.Flag) []ucli.Flag {
	return append(globalFlags(), extra...)
}

// flag reads a flag given either before or after the command name.
func flag(c *ucli.Context, name string) string {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.String(name)
		}
	}
	for _, cc := range c.Lineage() {
		if v := cc.String(name); v != "" {
			return v
		}
	}
	return ""
}

func boolFlag(c *ucli.Context, name string) bool {
	for _, cc := range c.Lineage() {
		if cc.IsSet(name) {
			return cc.Bool(name)
		}
	}
	return false
}

// selectors splits each --select argument on spaces (dbt accepts both
// "-s a b" quoted and repeated flags).
func selectors(c *ucli.Context, name string) []string {
	var out []string
	for _, v := range c.StringSlice(name) {
		out = append(out, strings.Fields(v)...)
	}
	out = append(out, c.Args().Slice()...)
	return out
}

// session is a loaded project with its target and manifest.
type session struct {
	proj     *project.Project
	target   adapter.Target
	engine   *adapter.Engine // the target's
	manifest *compile.Manifest
	started  time.Time
}

func (e *env) setup(c *ucli.Context) error {
	switch f := flag(c, "log-format"); f {
	case "", "text":
	case "json":
		e.json = true
	default:
		return &usageError{msg: fmt.Sprintf("--log-format must be text or json, not %q", f)}
	}
	e.color = !boolFlag(c, "no-color") && isTerminal(e.stdout)
	// no-color.org: an empty NO_COLOR does not turn colour off.
	if v, ok := e.getenv("NO_COLOR"); ok && v != "" {
		e.color = false
	}
	return nil
}

func (e *env) parseVars(c *ucli.Context) (map[string]any, error) {
	return decodeVars(flag(c, "vars"))
}

// decodeVars decodes the --vars argument; its problems are usage errors.
func decodeVars(s string) (map[string]any, error) {
	v, err := project.DecodeVars(s)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return v, nil
}

// load reads the project, profile and manifest.
func (e *env) load(c *ucli.Context) (*session, error) { return e.loadTimed(c, nil) }

// loadTimed is load calling phase after each step with its name and
// duration (ingot parse reports them); phase may be nil.
func (e *env) loadTimed(c *ucli.Context, phase func(name string, d time.Duration)) (*session, error) {
	ctx := c.Context
	mark := time.Now()
	step := func(name string) {
		if phase != nil {
			now := time.Now()
			phase(name, now.Sub(mark))
			mark = now
		}
	}
	p, err := e.loadProject(c)
	if err != nil {
		return nil, err
	}
	step("load project")
	t, err := p.LoadTarget(profileOpts(c, e))
	if err != nil {
		return nil, err
	}
	if n := intFlag(c, "threads"); n > 0 {
		t.Threads = n
	}
	step("load profile")
	eng, _ := e.engines.Lookup(t.Type) // LoadTarget checked the type
	s := &session{proj: p, target: t, engine: eng, started: e.now()}
	opts := compile.Options{TargetName: t.Name, TargetSchema: t.Schema, Getenv: e.getenv, RunStarted: s.started}.WithEngine(e.engines, t.Type)
	if p.SchemaRules != project.SchemaDBT {
		// Folder schemas: the profile's schema prefixes them, as dbt's
		// <target>_<custom> does, so two targets can share a database.
		opts.SchemaPrefix = t.Schema
	}
	m, err := compile.Build(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	step("compile")
	if err := addTests(ctx, m); err != nil {
		return nil, err
	}
	step("tests")
	if err := m.BuildGraph(); err != nil {
		return nil, err
	}
	step("graph")
	s.manifest = m
	return s, nil
}

// printErr prints every problem in err with its location and source line.
func (e *env) printErr(err error) {
	problems := diag.Flatten(err)
	for _, p := range problems {
		var d *diag.Error
		if errors.As(p, &d) {
			fmt.Fprintf(e.stderr, "%s %s\n", e.paint(red, "error:"), d.Error())
			if s := d.Snippet(); s != "" {
				fmt.Fprintln(e.stderr, s)
			}
			continue
		}
		fmt.Fprintf(e.stderr, "%s %s\n", e.paint(red, "error:"), p.Error())
	}
	if len(problems) > 1 {
		fmt.Fprintf(e.stderr, "%d problems found\n", len(problems))
	}
}

const (
	red    = "31"
	green  = "32"
	yellow = "33"
)

func (e *env) paint(code, s string) string {
	if !e.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
