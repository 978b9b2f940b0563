// Package convert turns a dbt project into an ingot project: dbt_project.yml
// becomes project.yml, profiles.yml keeps the outputs of engines ingot has,
// models, macros, generic and singular tests and snapshots are translated
// from Jinja to Go templates, seeds and property files are copied. Whatever has no
// ingot equivalent is left as written and listed by file and line for a
// person to finish.
package convert

import (
	"context"
	"errors"
	"fmt"
	"github.com/ingot-dev/ingot/internal/adapter"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/jinja"
	"github.com/ingot-dev/ingot/internal/project"
)

// Options say what to convert where.
type Options struct {
	Src string // the dbt project (holding dbt_project.yml)
	Dst string // the new ingot project; must not exist or be empty
	// ProfilesDir holds the dbt profiles.yml ("" = Src).
	ProfilesDir string
	// Engines check the converted project as its dev target would build it.
	Engines *adapter.Registry
}

// Todo is something a person has to finish. File is relative to the
// converted project (where the thing now is).
type Todo struct {
	File      string
	Line, Col int
	Text      string // the construct as written, when there is one
	Msg       string
}

func (t Todo) String() string {
	loc := t.File
	if t.Line > 0 {
		loc += fmt.Sprintf(":%d", t.Line)
		if t.Col > 0 {
			loc += fmt.Sprintf(":%d", t.Col)
		}
	}
	return loc + ": " + t.Msg
}

// Result lists what was written and what is left to do.
type Result struct {
	Written []string // files written, relative to Dst
	Todo    []Todo   // sorted by file and line
}

type conv struct {
	opts    Options
	res     *Result
	tr      *jinja.Translator
	name    string
	profile string
	paths   map[string][]string // model-paths, seed-paths, ... as the dbt project names them
	perNode []nodeConfig        // dbt_project.yml config of single models and seeds
	// targetType is the engine of the converted profile's target ("" when
	// it was not converted); the check compiles for it.
	targetType string
}

// Convert converts the dbt project at opts.Src into opts.Dst.
func Convert(ctx context.Context, opts Options) (*Result, error) {
	src, err := os.ReadFile(filepath.Join(opts.Src, "dbt_project.yml"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s holds no dbt_project.yml; pass the folder of a dbt project", opts.Src)
		}
		return nil, err
	}
	if entries, err := os.ReadDir(opts.Dst); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty; choose a new folder with --out", opts.Dst)
	}
	c := &conv{opts: opts, res: &Result{}, tr: &jinja.Translator{Macros: map[string]*jinja.Macro{}}}
	projYML, err := c.project(src)
	if err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{
		c.signatures,
		func(context.Context) error { return c.write(project.ProjectFile, projYML) },
		c.profiles,
		c.models,
		c.macros,
		c.tests,
		c.seeds,
		c.snapshots,
		c.writeNodeConfigs,
		c.leftovers,
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	sort.SliceStable(c.res.Todo, func(i, j int) bool {
		a, b := c.res.Todo[i], c.res.Todo[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	sort.Strings(c.res.Written)
	return c.res, nil
}

func (c *conv) todo(file string, line, col int, text, format string, args ...any) {
	c.res.Todo = append(c.res.Todo, Todo{File: file, Line: line, Col: col, Text: text, Msg: fmt.Sprintf(format, args...)})
}

func (c *conv) write(rel string, data []byte) error {
	dst := filepath.Join(c.opts.Dst, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return err
	}
	c.res.Written = append(c.res.Written, rel)
	return nil
}

// translate converts one Jinja file to dst, listing what it could not.
func (c *conv) translate(srcRel, dstRel string) error {
	b, err := os.ReadFile(filepath.Join(c.opts.Src, filepath.FromSlash(srcRel)))
	if err != nil {
		return err
	}
	out, problems := c.tr.Translate(string(b))
	for _, p := range problems {
		c.todo(dstRel, p.Line, p.Col, p.Text, "%s", p.Msg)
	}
	return c.write(dstRel, []byte(out))
}

func (c *conv) copyFile(srcRel, dstRel string) error {
	b, err := os.ReadFile(filepath.Join(c.opts.Src, filepath.FromSlash(srcRel)))
	if err != nil {
		return err
	}
	return c.write(dstRel, b)
}

// files lists the files under the dbt project's folders, relative to Src
// with forward slashes, sorted.
func (c *conv) files(dirs []string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		base := filepath.Join(c.opts.Src, filepath.FromSlash(d))
		err := filepath.WalkDir(base, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == base {
					return filepath.SkipDir
				}
				return err
			}
			if strings.HasPrefix(de.Name(), ".") && path != base {
				if de.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if de.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(c.opts.Src, path)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// signatures reads every macro and generic test first, so calls anywhere
// can pass their arguments by position.
func (c *conv) signatures(context.Context) error {
	files, err := c.files(append(append(append([]string{}, c.paths["macro-paths"]...), c.paths["test-paths"]...), c.paths["model-paths"]...))
	if err != nil {
		return err
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".sql") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(c.opts.Src, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		ms, err := jinja.Signatures(string(b))
		if err != nil {
			continue // listed when the file is translated
		}
		for _, m := range ms {
			if m.Test {
				continue // generic tests are called by ingot, not by templates
			}
			if _, dup := c.tr.Macros[m.Name]; !dup {
				c.tr.Macros[m.Name] = m
			}
		}
	}
	// A macro reached through adapter.dispatch may exist only as
	// default__name or an engine's version (prefixed as the registry's
	// engines name them).
	prefixes := []string{"default__"}
	if c.opts.Engines != nil {
		for _, p := range c.opts.Engines.MacroPrefixes() {
			prefixes = append(prefixes, p+"__")
		}
	}
	for name, m := range c.tr.Macros {
		for _, p := range prefixes {
			if base, ok := strings.CutPrefix(name, p); ok {
				if _, has := c.tr.Macros[base]; !has {
					c.tr.Macros[base] = &jinja.Macro{Name: base, Params: m.Params, Defaults: m.Defaults}
				}
			}
		}
	}
	return nil
}

func (c *conv) models(context.Context) error {
	files, err := c.files(c.paths["model-paths"])
	if err != nil {
		return err
	}
	for _, f := range files {
		switch ext := strings.ToLower(filepath.Ext(f)); ext {
		case ".sql":
			if err := c.translate(f, f); err != nil {
				return err
			}
		case ".yml", ".yaml":
			if err := c.propertyFile(f); err != nil {
				return err
			}
		case ".md":
			if err := c.copyFile(f, f); err != nil { // {% docs %} blocks, for doc()
				return err
			}
		case ".py":
			c.todo(f, 1, 0, "", "Python models are not supported by ingot; rewrite it as a SQL model (not copied)")
		default:
			c.todo(f, 0, 0, "", "not a model or property file; not copied")
		}
	}
	return nil
}

// propertyFile copies a property yml: ingot reads dbt's format, and what
// it does not accept is found by check.
func (c *conv) propertyFile(f string) error {
	return c.copyFile(f, f)
}

func (c *conv) macros(context.Context) error {
	files, err := c.files(c.paths["macro-paths"])
	if err != nil {
		return err
	}
	for _, f := range files {
		switch strings.ToLower(filepath.Ext(f)) {
		case ".sql":
			if err := c.translate(f, f); err != nil {
				return err
			}
		case ".yml", ".yaml":
			if err := c.copyFile(f, f); err != nil {
				return err
			}
			c.todo(f, 1, 0, "", "macro property files are not read by ingot (copied unchanged); document the macro in a comment instead")
		default:
			c.todo(f, 0, 0, "", "not a macro file; not copied")
		}
	}
	return nil
}

// tests translates singular tests; generic tests (tests/generic/, or any
// {% test %} block) become macros, which is where ingot looks for them.
func (c *conv) tests(context.Context) error {
	files, err := c.files(c.paths["test-paths"])
	if err != nil {
		return err
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".sql") {
			if strings.HasSuffix(f, ".yml") || strings.HasSuffix(f, ".yaml") {
				c.todo(f, 1, 0, "", "property files of singular tests are not read by ingot; put the test's config in a config call in the test (not copied)")
				continue
			}
			c.todo(f, 0, 0, "", "not a test file; not copied")
			continue
		}
		b, err := os.ReadFile(filepath.Join(c.opts.Src, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		dst := f
		if ms, _ := jinja.Signatures(string(b)); len(ms) > 0 || isGenericDir(f) {
			dst = "macros/" + strings.TrimPrefix(f, firstDir(f)+"/")
		}
		if err := c.translate(f, dst); err != nil {
			return err
		}
	}
	return nil
}

func isGenericDir(f string) bool { return strings.Contains("/"+f, "/generic/") }

func firstDir(f string) string { return strings.SplitN(f, "/", 2)[0] }

func (c *conv) seeds(context.Context) error {
	files, err := c.files(c.paths["seed-paths"])
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := c.copyFile(f, f); err != nil {
			return err
		}
	}
	return nil
}

// leftovers lists what dbt has and ingot does not: analyses, packages.
func (c *conv) leftovers(context.Context) error {
	for _, k := range []struct{ key, msg string }{
		{"analysis-paths", "analyses are not supported by ingot; run the query with ingot show --inline (not copied)"},
	} {
		files, err := c.files(c.paths[k.key])
		if err != nil {
			return err
		}
		for _, f := range files {
			c.todo(f, 1, 0, "", "%s", k.msg)
		}
	}
	for _, name := range []string{"packages.yml", "dependencies.yml"} {
		b, err := os.ReadFile(filepath.Join(c.opts.Src, name))
		if err != nil {
			continue
		}
		entries := mapEntries(b, "packages")
		for _, e := range entries {
			c.todo(name, e.line, 0, "", "dbt package %s: ingot has no packages; the macros used from it are listed where they are called (not copied)", e.text)
		}
		if len(entries) == 0 {
			c.todo(name, 1, 0, "", "ingot has no packages (not copied)")
		}
	}
	return nil
}

type entry struct {
	line int
	text string
}

// mapEntries lists the entries of the list under a top-level key, each
// by its line and its first value.
func mapEntries(src []byte, key string) []entry {
	f, err := parser.ParseBytes(src, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil
	}
	root, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil
	}
	var out []entry
	for _, kv := range root.Values {
		if kv.Key.String() != key {
			continue
		}
		seq, ok := kv.Value.(*ast.SequenceNode)
		if !ok {
			continue
		}
		for _, v := range seq.Values {
			var val any
			_ = yaml.NodeToValue(v, &val)
			text := fmt.Sprint(val)
			if m, ok := val.(map[string]any); ok {
				for _, k := range []string{"package", "git", "local"} {
					if s, ok := m[k]; ok {
						text = fmt.Sprint(s)
						break
					}
				}
			}
			out = append(out, entry{line: v.GetToken().Position.Line, text: text})
		}
	}
	return out
}
