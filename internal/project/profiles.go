package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// ProfilesFile is the name of the connection profiles file.
const ProfilesFile = "profiles.yml"

// ProfileOptions select a profile output.
type ProfileOptions struct {
	Dir    string                      // directory holding profiles.yml ("" = project root)
	Target string                      // output name ("" = the profile's default)
	Getenv func(string) (string, bool) // environment lookup for env_var
}

type outputYAML struct {
	Type           string            `yaml:"type"`
	Threads        flexInt           `yaml:"threads"`
	Path           string            `yaml:"path"`
	Settings       map[string]string `yaml:"settings"`
	Host           string            `yaml:"host"`
	Port           flexInt           `yaml:"port"`
	User           string            `yaml:"user"`
	Password       string            `yaml:"password"`
	DBName         string            `yaml:"dbname"`
	Database       string            `yaml:"database"`
	SSLMode        string            `yaml:"sslmode"`
	DSN            string            `yaml:"dsn"`
	ConnectTimeout flexInt           `yaml:"connect_timeout"`
	PgDuckdb       string            `yaml:"pg_duckdb"`
	Schema         string            `yaml:"schema"`
}

var outputKeys = []string{"type", "threads", "path", "settings", "host", "port", "user", "password", "dbname", "database", "sslmode", "dsn", "connect_timeout", "pg_duckdb", "schema"}

type profileYAML struct {
	Target  string                `yaml:"target"`
	Outputs map[string]outputYAML `yaml:"outputs"`
}

// LoadTarget reads profiles.yml and returns the chosen output of the
// project's profile as an adapter target. Relative DuckDB paths are taken
// from the project root.
func (p *Project) LoadTarget(opts ProfileOptions) (adapter.Target, error) {
	dir := opts.Dir
	if dir == "" {
		dir = p.Root
	}
	path := filepath.Join(dir, ProfilesFile)
	rel := p.rel(path)
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return adapter.Target{}, fmt.Errorf("%s not found; create it (see README) or pass --profiles-dir", rel)
		}
		return adapter.Target{}, err
	}
	src, err := renderProfile(rel, raw, opts.Getenv)
	if err != nil {
		return adapter.Target{}, err
	}
	var profiles map[string]profileYAML
	if err := decodeStrict(rel, src, &profiles, append([]string{"target", "outputs"}, outputKeys...)); err != nil {
		// The rendered file may hold passwords from the environment: point
		// at the line but never print it.
		for _, e := range diag.Flatten(err) {
			if d, ok := e.(*diag.Error); ok {
				d.Source = ""
				d.Err = nil
			}
		}
		return adapter.Target{}, err
	}
	prof, ok := profiles[p.Profile]
	if !ok {
		msg := fmt.Sprintf("profile %q (named in %s) is not defined", p.Profile, ProjectFile)
		if s := textutil.Suggest(p.Profile, sortedKeys(profiles)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return adapter.Target{}, &diag.Error{File: rel, Msg: msg}
	}
	name := opts.Target
	if name == "" {
		name = prof.Target
	}
	out, ok := prof.Outputs[name]
	if !ok {
		msg := fmt.Sprintf("target %q is not an output of profile %q", name, p.Profile)
		if s := textutil.Suggest(name, sortedKeys(prof.Outputs)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		msg += "; outputs: " + strings.Join(sortedKeys(prof.Outputs), ", ")
		return adapter.Target{}, &diag.Error{File: rel, Msg: msg}
	}
	t := adapter.Target{
		Name: name, Type: out.Type, Threads: int(out.Threads),
		Path: out.Path, Settings: out.Settings,
		Host: out.Host, Port: int(out.Port), User: out.User, Password: out.Password,
		DBName: out.DBName, SSLMode: out.SSLMode, DSN: out.DSN,
		ConnectTimeout: time.Duration(out.ConnectTimeout) * time.Second,
		PgDuckdb:       out.PgDuckdb,
		Schema:         out.Schema,
	}
	if t.DBName == "" {
		t.DBName = out.Database
	}
	if t.Threads <= 0 {
		t.Threads = 4
	}
	switch t.Type {
	case "duckdb":
		if t.Path != "" && t.Path != ":memory:" && !filepath.IsAbs(t.Path) {
			t.Path = filepath.Join(p.Root, filepath.FromSlash(t.Path))
		}
	case "postgres":
		if t.PgDuckdb == "" {
			t.PgDuckdb = "auto"
		}
		if t.PgDuckdb != "auto" && t.PgDuckdb != "on" && t.PgDuckdb != "off" {
			return t, &diag.Error{File: rel, Msg: fmt.Sprintf("target %q: pg_duckdb must be auto, on or off, not %q", name, t.PgDuckdb)}
		}
	default:
		return t, &diag.Error{File: rel, Msg: fmt.Sprintf("target %q has type %q; ingot supports duckdb and postgres", name, out.Type)}
	}
	return t, nil
}

// renderProfile expands {{ env_var "NAME" "default" }} in profiles.yml.
func renderProfile(file string, raw []byte, getenv func(string) (string, bool)) ([]byte, error) {
	if !bytes.Contains(raw, []byte("{{")) {
		return raw, nil
	}
	if getenv == nil {
		getenv = os.LookupEnv
	}
	funcs := template.FuncMap{"env_var": func(name string, def ...string) (string, error) {
		if v, ok := getenv(name); ok {
			return v, nil
		}
		if len(def) > 0 {
			return def[0], nil
		}
		return "", fmt.Errorf("environment variable %s is not set and has no default", name)
	}}
	t, err := template.New(file).Funcs(funcs).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, diag.FromTemplate(err, file, func(string) []byte { return raw })
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, diag.FromTemplate(err, file, func(string) []byte { return raw })
	}
	return buf.Bytes(), nil
}
