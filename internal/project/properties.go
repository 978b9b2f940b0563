package project

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// The property file structs are filled by decodeProps; their yaml tags
// name the keys it accepts (tests check the two agree, and compare it
// with go-yaml's strict decoder).
type propsFileYAML struct {
	Version   any             `yaml:"version"`
	Models    []nodePropsYAML `yaml:"models"`
	Seeds     []nodePropsYAML `yaml:"seeds"`
	Sources   []sourceYAML    `yaml:"sources"`
	UnitTests []unitTestYAML  `yaml:"unit_tests"`
	Macros    []any           `yaml:"macros"`
	Exposures []exposureYAML  `yaml:"exposures"`
	Snapshots []snapshotYAML  `yaml:"snapshots"`
}

type exposureYAML struct {
	Name        Node           `yaml:"name"`
	Label       string         `yaml:"label"`
	Type        string         `yaml:"type"`
	Maturity    string         `yaml:"maturity"`
	URL         string         `yaml:"url"`
	Description string         `yaml:"description"`
	DependsOn   []Node         `yaml:"depends_on"`
	Owner       map[string]any `yaml:"owner"`
	Tags        []string       `yaml:"tags"`
	Meta        map[string]any `yaml:"meta"`
	Config      map[string]any `yaml:"config"`
}

type nodePropsYAML struct {
	Name        Node           `yaml:"name"`
	Description string         `yaml:"description"`
	Config      map[string]any `yaml:"config"`
	Columns     []columnYAML   `yaml:"columns"`
	Tests       []Node         `yaml:"tests"`
	DataTests   []Node         `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Tags        []string       `yaml:"tags"`
	Docs        any            `yaml:"docs"`
}

type columnYAML struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	DataType    string         `yaml:"data_type"`
	Tests       []Node         `yaml:"tests"`
	DataTests   []Node         `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Tags        []string       `yaml:"tags"`
	Quote       any            `yaml:"quote"`
	Constraints any            `yaml:"constraints"`
}

type sourceYAML struct {
	Name        Node              `yaml:"name"`
	Description string            `yaml:"description"`
	Schema      string            `yaml:"schema"`
	Database    string            `yaml:"database"`
	Loader      string            `yaml:"loader"`
	Meta        map[string]any    `yaml:"meta"`
	Tags        []string          `yaml:"tags"`
	Config      map[string]any    `yaml:"config"`
	Tables      []sourceTableYAML `yaml:"tables"`
	// Freshness and LoadedAtField apply to every table that does not set
	// its own.
	Freshness     any    `yaml:"freshness"`
	LoadedAtField string `yaml:"loaded_at_field"`
}

type sourceTableYAML struct {
	Name          Node           `yaml:"name"`
	Identifier    string         `yaml:"identifier"`
	Description   string         `yaml:"description"`
	Columns       []columnYAML   `yaml:"columns"`
	Tests         []Node         `yaml:"tests"`
	DataTests     []Node         `yaml:"data_tests"`
	Meta          map[string]any `yaml:"meta"`
	Tags          []string       `yaml:"tags"`
	LoadedAtField string         `yaml:"loaded_at_field"`
	Freshness     any            `yaml:"freshness"`
}

type unitTestYAML struct {
	Name        Node            `yaml:"name"`
	Model       string          `yaml:"model"`
	Description string          `yaml:"description"`
	Given       []unitGivenYAML `yaml:"given"`
	Expect      unitExpectYAML  `yaml:"expect"`
	Overrides   unitOverYAML    `yaml:"overrides"`
	Config      unitConfigYAML  `yaml:"config"`
}

type unitGivenYAML struct {
	Input  Node   `yaml:"input"`
	Format string `yaml:"format"`
	Rows   any    `yaml:"rows"`
}

type unitExpectYAML struct {
	Format  string `yaml:"format"`
	Rows    any    `yaml:"rows"`
	Ordered bool   `yaml:"ordered"`
}

type unitOverYAML struct {
	Vars   map[string]any `yaml:"vars"`
	Macros map[string]any `yaml:"macros"`
	// is_incremental may also be given under macros, as dbt does.
	IsIncremental bool `yaml:"is_incremental"`
	This          any  `yaml:"this"`
}

type unitConfigYAML struct {
	Tags []string       `yaml:"tags"`
	Meta map[string]any `yaml:"meta"`
}

var allPropKeys = []string{
	"version", "models", "seeds", "sources", "unit_tests", "macros", "name", "description", "config",
	"columns", "tests", "data_tests", "meta", "tags", "docs", "data_type", "quote", "constraints",
	"schema", "database", "loader", "tables", "identifier", "loaded_at_field", "freshness", "model",
	"given", "expect", "overrides", "input", "format", "rows", "ordered", "vars", "macros",
	"is_incremental", "this", "exposures", "label", "type", "maturity", "url", "depends_on", "owner",
	"snapshots", "relation",
}

func (p *Project) loadProperties() error {
	dirs := append(append(append([]string{}, p.ModelPaths...), p.SeedPaths...), p.SnapshotPaths...)
	paths, err := p.walkFiles(dirs, func(n string) bool {
		return strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")
	})
	if err != nil {
		return err
	}
	models := map[string]*Model{}
	for _, m := range p.Models {
		models[m.Name] = m
	}
	seeds := map[string]*Seed{}
	for _, s := range p.Seeds {
		seeds[s.Name] = s
	}
	// Decoding YAML is most of the cost of loading a large project, so
	// files are decoded in parallel (see decodeProps) and applied in path
	// order.
	type decoded struct {
		src []byte
		pf  propsFileYAML
		err error
	}
	files := make([]decoded, len(paths))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, path := range paths {
		g.Go(func() error {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[i].src = src
			files[i].pf, files[i].err = decodeProps(p.rel(path), src)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var errs diag.List
	for i, path := range paths {
		rel := p.rel(path)
		src, pf := files[i].src, &files[i].pf
		if err := files[i].err; err != nil {
			errs.Add(err)
			continue
		}
		for _, e := range pf.Models {
			name := fmt.Sprint(e.Name.Value)
			m, ok := models[name]
			if !ok {
				errs.Add(unknownEntry(rel, src, e.Name.Pos, "model", name, keysOf(models)))
				continue
			}
			if m.Props != nil {
				errs.Add(diag.At(rel, src, e.Name.Pos.Line, e.Name.Pos.Col, "model %q is already described in %s", name, m.Props.File))
				continue
			}
			cfg, err := checkConfig(rel, src, e.Name.Pos, e.Config, modelConfigKeys)
			errs.Add(err)
			if len(e.Tags) > 0 {
				cfg = cfg.Merge(Config{"tags": toAnyList(e.Tags)})
			}
			m.Config = m.Config.Merge(cfg)
			m.Props = buildProps(rel, e.Name.Pos.Line, e.Description, e.Meta, e.Columns, append(e.Tests, e.DataTests...))
			errs.Add(columnExtras(rel, src, e.Name.Pos.Line, e.Columns))
		}
		for _, e := range pf.Seeds {
			name := fmt.Sprint(e.Name.Value)
			s, ok := seeds[name]
			if !ok {
				errs.Add(unknownEntry(rel, src, e.Name.Pos, "seed", name, keysOf(seeds)))
				continue
			}
			cfg, err := checkConfig(rel, src, e.Name.Pos, e.Config, seedConfigKeys)
			errs.Add(err)
			if len(e.Tags) > 0 {
				cfg = cfg.Merge(Config{"tags": toAnyList(e.Tags)})
			}
			s.Config = s.Config.Merge(cfg)
			if sc := cfg.String("schema"); sc != "" {
				s.Schema = sc
			}
			s.Props = buildProps(rel, e.Name.Pos.Line, e.Description, e.Meta, e.Columns, append(e.Tests, e.DataTests...))
			errs.Add(columnExtras(rel, src, e.Name.Pos.Line, e.Columns))
		}
		for _, src0 := range pf.Sources {
			sname := fmt.Sprint(src0.Name.Value)
			if src0.Database != "" {
				errs.Add(diag.At(rel, src, src0.Name.Pos.Line, src0.Name.Pos.Col, "source %s: database %s is not supported: ingot reads sources from the target's database (profiles.yml); remove database", sname, src0.Database))
			}
			schema := src0.Schema
			if schema == "" {
				schema = sname
			}
			for _, t := range src0.Tables {
				tname := fmt.Sprint(t.Name.Value)
				id := t.Identifier
				if id == "" {
					id = tname
				}
				errs.Add(columnExtras(rel, src, t.Name.Pos.Line, t.Columns))
				fresh, loadedAt := t.Freshness, t.LoadedAtField
				if fresh == nil {
					fresh = src0.Freshness
				}
				if loadedAt == "" {
					loadedAt = src0.LoadedAtField
				}
				p.Sources = append(p.Sources, &Source{
					SourceName: sname, Name: tname, Schema: schema, Identifier: id,
					Freshness: fresh, LoadedAtField: loadedAt,
					Props: buildProps(rel, t.Name.Pos.Line, t.Description, t.Meta, t.Columns, append(t.Tests, t.DataTests...)),
				})
			}
		}
		for _, x := range pf.Exposures {
			errs.Add(p.addExposure(rel, src, x))
		}
		for _, u := range pf.UnitTests {
			ut := &UnitTest{
				Name: fmt.Sprint(u.Name.Value), Model: u.Model, Description: u.Description,
				Expect: UnitRows{Format: u.Expect.Format, Rows: u.Expect.Rows, Ordered: u.Expect.Ordered},
				Overrides: UnitOverrides{Vars: u.Overrides.Vars, Macros: u.Overrides.Macros,
					IsIncremental: u.Overrides.IsIncremental, This: u.Overrides.This},
				Tags: u.Config.Tags, File: rel, Line: u.Name.Pos.Line,
			}
			if v, ok := u.Overrides.Macros["is_incremental"].(bool); ok {
				ut.Overrides.IsIncremental = v
			}
			if u.Model == "" {
				errs.Add(diag.At(rel, src, u.Name.Pos.Line, u.Name.Pos.Col, "unit test %q has no model", ut.Name))
				continue
			}
			if _, ok := models[u.Model]; !ok && !strings.Contains(u.Model, ".") {
				errs.Add(unknownEntry(rel, src, u.Name.Pos, "model", u.Model, keysOf(models)))
				continue
			}
			for _, g := range u.Given {
				ut.Given = append(ut.Given, UnitGiven{Input: fmt.Sprint(g.Input.Value), Format: g.Format, Rows: g.Rows, Line: g.Input.Pos.Line})
			}
			p.UnitTests = append(p.UnitTests, ut)
		}
		errs.Add(p.applySnapshotProps(rel, src, pf.Snapshots))
	}
	return errs.Err()
}

func buildProps(file string, line int, desc string, meta map[string]any, cols []columnYAML, tests []Node) *Properties {
	pr := &Properties{File: file, Line: line, Description: desc, Meta: meta}
	for _, t := range tests {
		pr.Tests = append(pr.Tests, TestSpec{Value: t.Value, File: file, Line: t.Pos.Line, Col: t.Pos.Col})
	}
	for _, c := range cols {
		pr.Columns = append(pr.Columns, Column{Name: c.Name, Description: c.Description, DataType: c.DataType})
		for _, t := range append(c.Tests, c.DataTests...) {
			pr.Tests = append(pr.Tests, TestSpec{Value: t.Value, Column: c.Name, File: file, Line: t.Pos.Line, Col: t.Pos.Col})
		}
	}
	return pr
}

func checkConfig(file string, src []byte, pos Pos, cfg map[string]any, known []string) (Config, error) {
	out := Config{}
	var errs diag.List
	for _, k := range sortedKeys(cfg) {
		key := normalizeKey(k)
		if why := unsupportedConfig[key]; why != "" {
			errs.Add(diag.At(file, src, findKeyLine(src, pos.Line, k), 0, "config %s is not supported: %s", k, why))
			continue
		}
		ok := false
		for _, kk := range known {
			if kk == key {
				ok = true
			}
		}
		if !ok {
			msg := fmt.Sprintf("unknown config key %q", k)
			if s := textutil.Suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			line := findKeyLine(src, pos.Line, k)
			errs.Add(diag.At(file, src, line, 0, "%s", msg))
			continue
		}
		if err := CheckConfigValue(key, cfg[k]); err != nil {
			errs.Add(diag.At(file, src, findKeyLine(src, pos.Line, k), 0, "%v", err))
			continue
		}
		out[key] = cfg[k]
	}
	return out, errs.Err()
}

// findKeyLine finds the first line at or after from that starts with key:
// (flow-style configs are reported at the entry's line).
func findKeyLine(src []byte, from int, key string) int {
	lines := strings.Split(string(src), "\n")
	for i := from - 1; i >= 0 && i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, key+":") || strings.Contains(t, " "+key+":") || strings.Contains(t, "{"+key+":") {
			return i + 1
		}
	}
	return from
}

func unknownEntry(file string, src []byte, pos Pos, kind, name string, known []string) error {
	msg := fmt.Sprintf("%s %q is described here but there is no such %s", kind, name, kind)
	if s := textutil.Suggest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return diag.At(file, src, pos.Line, pos.Col, "%s", msg)
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Rel returns abs relative to the project root, with forward slashes.
func (p *Project) Rel(abs string) string { return p.rel(abs) }

// TargetDir is the absolute artifacts directory.
func (p *Project) TargetDir() string {
	return filepath.Join(p.Root, filepath.FromSlash(p.TargetPath))
}

// columnExtras rejects column properties ingot does not act on, at the
// line of the entry that has the column.
func columnExtras(file string, src []byte, line int, cols []columnYAML) error {
	var errs diag.List
	for _, c := range cols {
		if c.Constraints != nil {
			errs.Add(diag.At(file, src, line, 0, "column %s: constraints are not supported: ingot does not create constraints; check the column with tests (not_null, unique, relationships) instead", c.Name))
		}
		if c.Quote != nil {
			errs.Add(diag.At(file, src, line, 0, "column %s: quote is not supported: ingot uses column names in tests as written; remove quote", c.Name))
		}
	}
	return errs.Err()
}
