package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/graph"
	"github.com/ingot-dev/ingot/internal/textutil"
)

func (e *env) commands() []*ucli.Command {
	onUsage := func(c *ucli.Context, err error, _ bool) error { return &usageError{msg: err.Error()} }
	cmds := []*ucli.Command{
		{
			Name:      "compile",
			Usage:     "render the SQL of selected models into target/compiled/ without running them",
			ArgsUsage: " ",
			Flags:     commandFlags(append(selectFlags(), checkFlag())...),
			Action:    e.compileCmd,
		},
		{
			Name:  "ls",
			Usage: "list selected models (and seeds, tests with --resource-type) in dependency order",
			Flags: commandFlags(append(selectFlags(),
				&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "name", Usage: "name, path or json (one object per line)"},
				&ucli.StringSliceFlag{Name: "resource-type", Usage: "model, seed, snapshot, test, source, exposure (default: model)"},
			)...),
			Action: e.lsCmd,
		},
	}
	cmds = append(cmds, e.runCommands()...)
	cmds = append(cmds, e.convertCommand(), e.checkCommand())
	cmds = append(cmds, e.everydayCommands()...)
	cmds = append(cmds, e.docsCommand())
	for _, c := range cmds {
		c.OnUsageError = onUsage
	}
	return cmds
}

// selection applies --select/--exclude restricted to kinds, printing a
// warning for selectors that matched nothing.
func (e *env) selection(c *ucli.Context, s *session, kinds []string) ([]string, error) {
	include := selectors(c, "select")
	exclude := selectors(c, "exclude")
	if c.Args().Present() {
		return nil, &usageError{msg: fmt.Sprintf("unexpected argument %q (use --select)", c.Args().First())}
	}
	if err := e.markState(c, s, append(append([]string{}, include...), exclude...)); err != nil {
		return nil, err
	}
	sel, err := s.manifest.Graph.Select(include, exclude, graph.SelectOptions{ResourceTypes: kinds})
	if err != nil {
		var se *graph.SelectorError
		if errors.As(err, &se) {
			return nil, &usageError{msg: err.Error()}
		}
		return nil, err
	}
	for _, w := range sel.Warnings {
		fmt.Fprintf(e.stderr, "%s %s\n", e.paint(yellow, "warning:"), w)
	}
	return sel.IDs, nil
}

func (e *env) lsCmd(c *ucli.Context) (err error) {
	s, err := e.load(c)
	if err != nil {
		return err
	}
	kinds := c.StringSlice("resource-type")
	if len(kinds) == 0 {
		kinds = []string{compile.KindModel}
	}
	var nodeKinds []string
	exposures := false
	for _, k := range kinds {
		if err := checkResourceType(k); err != nil {
			return err
		}
		if k == kindExposure {
			exposures = true
		} else {
			nodeKinds = append(nodeKinds, k)
		}
	}
	var ids []string
	if len(nodeKinds) > 0 {
		if ids, err = e.selection(c, s, nodeKinds); err != nil {
			return err
		}
	}
	out := c.String("output")
	if exposures {
		defer func() {
			if err == nil {
				err = e.lsExposures(s, out)
			}
		}()
	}
	for _, id := range ids {
		n := s.manifest.Nodes[id]
		if err := e.lsLine(out, n.Name, n.Path, func() any { return lsEntry(s.manifest, n) }); err != nil {
			return err
		}
	}
	return nil
}

// lsLine prints one ls entry as --output says; asJSON builds the object.
func (e *env) lsLine(out, name, path string, asJSON func() any) error {
	switch out {
	case "name":
		fmt.Fprintln(e.stdout, name)
	case "path":
		fmt.Fprintln(e.stdout, path)
	case "json":
		b, _ := json.Marshal(asJSON())
		fmt.Fprintln(e.stdout, string(b))
	default:
		return &usageError{msg: fmt.Sprintf("--output must be name, path or json, not %q", out)}
	}
	return nil
}

// checkResourceType rejects an --resource-type ingot has no nodes of,
// which would otherwise list nothing and exit 0.
func checkResourceType(k string) error {
	switch k {
	case compile.KindModel, compile.KindSeed, compile.KindTest, compile.KindSource, compile.KindSnapshot, kindExposure:
		return nil
	case "analysis", "metric", "semantic_model", "saved_query":
		return &usageError{msg: fmt.Sprintf("--resource-type %s: ingot has no such nodes; use model, seed, snapshot, test, source or exposure", k)}
	}
	msg := fmt.Sprintf("--resource-type must be model, seed, snapshot, test, source or exposure, not %q", k)
	if s := textutil.Suggest(k, []string{compile.KindModel, compile.KindSeed, compile.KindSnapshot, compile.KindTest, compile.KindSource, kindExposure}); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &usageError{msg: msg}
}

type lsJSON struct {
	Name         string   `json:"name"`
	ID           string   `json:"unique_id"`
	ResourceType string   `json:"resource_type"`
	Relation     string   `json:"relation,omitempty"`
	Path         string   `json:"path"`
	DependsOn    []string `json:"depends_on"`
	Materialized string   `json:"materialized,omitempty"`
	Tags         []string `json:"tags"`
	// sources
	Freshness     any    `json:"freshness,omitempty"`
	LoadedAtField string `json:"loaded_at_field,omitempty"`
}

func lsEntry(m *compile.Manifest, n *compile.Node) lsJSON {
	deps := make([]string, 0, len(n.DependsOn))
	for _, d := range n.DependsOn {
		if p := m.Nodes[d]; p != nil {
			deps = append(deps, p.Name)
		}
	}
	tags := n.Config.Tags()
	if tags == nil {
		tags = []string{}
	}
	j := lsJSON{Name: n.Name, ID: n.ID, ResourceType: n.Kind, Path: n.Path, DependsOn: deps, Tags: tags}
	if n.Kind != compile.KindTest {
		j.Relation = n.Relation.String()
	}
	if n.Kind == compile.KindModel {
		j.Materialized = n.Materialized()
	}
	if n.Source != nil {
		j.Freshness, j.LoadedAtField = n.Source.Freshness, n.Source.LoadedAtField
	}
	return j
}

const kindExposure = "exposure"

type exposureJSON struct {
	Name         string         `json:"name"`
	ResourceType string         `json:"resource_type"`
	Type         string         `json:"type"`
	Label        string         `json:"label,omitempty"`
	Maturity     string         `json:"maturity,omitempty"`
	URL          string         `json:"url,omitempty"`
	Description  string         `json:"description,omitempty"`
	Owner        map[string]any `json:"owner,omitempty"`
	Path         string         `json:"path"`
	DependsOn    []string       `json:"depends_on"`
	Tags         []string       `json:"tags"`
}

// lsExposures lists the project's exposures after the selected nodes.
func (e *env) lsExposures(s *session, out string) error {
	deps, err := s.manifest.ExposureDeps()
	if err != nil {
		return err
	}
	for _, x := range s.proj.Exposures {
		err := e.lsLine(out, x.Name, x.File, func() any {
			j := exposureJSON{Name: x.Name, ResourceType: kindExposure, Type: x.Type, Label: x.Label, Maturity: x.Maturity,
				URL: x.URL, Description: x.Description, Owner: x.Owner, Path: x.File, DependsOn: []string{}, Tags: x.Tags}
			for _, id := range deps[x.Name] {
				j.DependsOn = append(j.DependsOn, s.manifest.Nodes[id].Name)
			}
			if j.Tags == nil {
				j.Tags = []string{}
			}
			return j
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *env) compileCmd(c *ucli.Context) error {
	s, err := e.load(c)
	if err != nil {
		return err
	}
	ids, err := e.selection(c, s, []string{compile.KindModel, compile.KindSnapshot})
	if err != nil {
		return err
	}
	// Rendering is CPU work and writing is I/O: overlap them across models.
	dirs := &dirCache{made: map[string]bool{}}
	errs, err := s.manifest.RenderEach(c.Context, ids, compile.RenderOptions{}, 2*runtime.GOMAXPROCS(0), func(i int, sql string) error {
		return writeIfChanged(dirs, compiledPath(s, s.manifest.Nodes[ids[i]], "compiled"), sql)
	})
	if err != nil {
		return err
	}
	var problems diag.List
	for _, err := range errs {
		problems.Add(err)
	}
	if err := problems.Err(); err != nil {
		return err
	}
	written := len(ids)
	fmt.Fprintf(e.stdout, "Compiled %d model%s into %s\n", written, plural(written), filepath.ToSlash(filepath.Join(s.proj.TargetPath, "compiled")))
	if c.Bool("check") {
		return e.check(c, s, ids)
	}
	return nil
}

// compiledPath is where a node's SQL goes under target/<kind>/, keeping
// its path under the model folder.
func compiledPath(s *session, n *compile.Node, kind string) string {
	rel := n.Path
	if n.Kind == compile.KindSnapshot {
		// a yml-configured snapshot's path is its property file
		rel = "snapshots/" + n.Name + ".sql"
	}
	for _, mp := range s.proj.ModelPaths {
		if r, ok := strings.CutPrefix(rel, strings.TrimSuffix(mp, "/")+"/"); ok {
			rel = r
			break
		}
	}
	return filepath.Join(s.proj.TargetDir(), kind, filepath.FromSlash(rel))
}

func writeCompiled(s *session, n *compile.Node, kind, sql string) error {
	return writeIfChanged(nil, compiledPath(s, n, kind), sql)
}

// writeIfChanged writes sql to path unless the file already holds it.
// Rewriting identical files costs a truncate and a fresh allocation per
// model on every run; unchanged SQL (and its mtime) is left alone. dirs,
// when not nil, creates the folders, each once.
func writeIfChanged(dirs *dirCache, path, sql string) error {
	fresh := false
	if dirs != nil {
		var err error
		if fresh, err = dirs.ensure(filepath.Dir(path)); err != nil {
			return err
		}
	}
	if !fresh {
		if old, err := os.ReadFile(path); err == nil && string(old) == sql {
			return nil
		}
	}
	if dirs == nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, []byte(sql), 0o644)
}

// dirCache creates the folders one command writes files into, each once
// however many files go there, and remembers which ones did not exist: a
// folder this command created holds no old file to compare with.
type dirCache struct {
	mu   sync.Mutex
	made map[string]bool // folder → created by this command
}

// ensure makes sure dir exists and reports whether it was created now.
func (d *dirCache) ensure(dir string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if made, ok := d.made[dir]; ok {
		return made, nil
	}
	_, err := os.Stat(dir)
	made := errors.Is(err, fs.ErrNotExist)
	if made {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, err
		}
	}
	d.made[dir] = made
	return made, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
