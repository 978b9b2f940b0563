package project

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ingot-dev/ingot/internal/diag"
)

// SnapshotSchema is the schema snapshots are built in unless their config
// says otherwise.
const SnapshotSchema = "snapshots"

// snapshotYAML is a snapshots: entry of a property file: config, docs and
// tests for a snapshots/*.sql file, or, as in dbt 1.9, a whole snapshot
// whose relation names what it records.
type snapshotYAML struct {
	nodePropsYAML `yaml:",inline"`
	Relation      Node `yaml:"relation"`
}

func (d *propsDecoder) snapshotProps(n ast.Node, what where) snapshotYAML {
	var e snapshotYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		if key == "relation" {
			e.Relation = d.node(v)
			return true
		}
		return d.nodePropKey(&e.nodePropsYAML, key, v)
	})
	return e
}

// discoverSnapshots finds snapshots/*.sql: each is a SELECT whose config
// call (or yml entry) says how to track its rows.
func (p *Project) discoverSnapshots(cfg *folderConfig) error {
	return p.discoverSQL(p.SnapshotPaths, cfg, func(f *File, relDir string, c Config) {
		p.Snapshots = append(p.Snapshots, &Model{File: *f, Name: strings.TrimSuffix(filepath.Base(f.Path), ".sql"),
			Schema: SnapshotSchema, Dir: relDir, Config: c})
	})
}

var relationRe = regexp.MustCompile(`^\s*(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$`)

// applySnapshotProps applies the snapshots: entries of property file rel:
// an entry naming a snapshots/*.sql file configures it; one with relation
// is a snapshot of its own, selecting every column of that relation.
func (p *Project) applySnapshotProps(rel string, src []byte, entries []snapshotYAML) error {
	var errs diag.List
	for _, e := range entries {
		name := fmt.Sprint(e.Name.Value)
		if e.Name.Value == nil || name == "" {
			errs.Add(&diag.Error{File: rel, Msg: "a snapshots: entry needs a name"})
			continue
		}
		cfg, err := checkConfig(rel, src, e.Name.Pos, e.Config, modelConfigKeys)
		errs.Add(err)
		if len(e.Tags) > 0 {
			cfg = cfg.Merge(Config{"tags": toAnyList(e.Tags)})
		}
		props := buildProps(rel, e.Name.Pos.Line, e.Description, e.Meta, e.Columns, append(e.Tests, e.DataTests...))
		var m *Model
		for _, s := range p.Snapshots {
			if s.Name == name {
				m = s
			}
		}
		if e.Relation.Value == nil {
			if m == nil {
				known := make([]string, 0, len(p.Snapshots))
				for _, s := range p.Snapshots {
					known = append(known, s.Name)
				}
				err := unknownEntry(rel, src, e.Name.Pos, "snapshot", name, known)
				if d, ok := err.(*diag.Error); ok {
					d.Msg += "; give it a relation: (ref('model') or source('src', 'table')) or add snapshots/" + name + ".sql"
				}
				errs.Add(err)
				continue
			}
			m.Config, m.Props = m.Config.Merge(cfg), props
			continue
		}
		if m != nil {
			errs.Add(diag.At(rel, src, e.Relation.Pos.Line, e.Relation.Pos.Col, "snapshot %q is defined by %s already; drop relation: here or the file", name, m.Path))
			continue
		}
		r := relationRe.FindStringSubmatch(fmt.Sprint(e.Relation.Value))
		var from string
		switch {
		case r == nil:
			errs.Add(diag.At(rel, src, e.Relation.Pos.Line, e.Relation.Pos.Col, "relation must be ref('model') or source('source', 'table'), not %q", fmt.Sprint(e.Relation.Value)))
			continue
		case r[1] == "ref" && r[3] == "":
			from = fmt.Sprintf("{{ ref %q }}", r[2])
		case r[1] == "source" && r[3] != "":
			from = fmt.Sprintf("{{ source %q %q }}", r[2], r[3])
		default:
			errs.Add(diag.At(rel, src, e.Relation.Pos.Line, e.Relation.Pos.Col, "relation: ref takes one name and source two (source('source', 'table'))"))
			continue
		}
		p.Snapshots = append(p.Snapshots, &Model{
			File:   File{Path: rel, Abs: filepath.Join(p.Root, filepath.FromSlash(rel)), Src: []byte("select * from " + from + "\n")},
			Name:   name,
			Schema: SnapshotSchema,
			Config: cfg,
			Props:  props,
		})
	}
	return errs.Err()
}
