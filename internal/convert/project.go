package convert

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/project"
)

const dbtProjectFile = "dbt_project.yml"

// pathKeys are dbt's folder keys with their defaults; the first five
// become ingot's, the others are listed by leftovers.
var pathKeys = []struct {
	key, old, def string
}{
	{"model-paths", "source-paths", "models"},
	{"seed-paths", "data-paths", "seeds"},
	{"macro-paths", "", "macros"},
	{"test-paths", "", "tests"},
	{"snapshot-paths", "", "snapshots"},
	{"analysis-paths", "", "analyses"},
}

// dropped are dbt_project.yml keys that change nothing in an ingot build.
var dropped = map[string]bool{"require-dbt-version": true, "docs-paths": true, "asset-paths": true,
	"packages-install-path": true, "log-path": true, "version": true, "config-version": true}

// project converts dbt_project.yml into project.yml.
func (c *conv) project(src []byte) ([]byte, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dbtProjectFile, err)
	}
	var root *ast.MappingNode
	if len(f.Docs) > 0 {
		root, _ = f.Docs[0].Body.(*ast.MappingNode)
	}
	if root == nil {
		return nil, fmt.Errorf("%s: expected a mapping of keys", dbtProjectFile)
	}
	c.paths = map[string][]string{}
	out := yaml.MapSlice{}
	var models, seeds, snapshots yaml.MapSlice
	for _, kv := range root.Values {
		key := kv.Key.String()
		line := kv.Key.GetToken().Position.Line
		var val any
		if err := yaml.NodeToValue(kv.Value, &val); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", dbtProjectFile, line, err)
		}
		switch key {
		case "name":
			c.name = fmt.Sprint(val)
		case "profile":
			c.profile = fmt.Sprint(val)
		case "vars":
			out = append(out, yaml.MapItem{Key: "vars", Value: val})
		case "target-path", "clean-targets":
			out = append(out, yaml.MapItem{Key: key, Value: val})
		case "models":
			models = c.configTree(kv.Value, &tree{kind: "models", known: project.ModelConfigKeys(), top: true})
		case "seeds":
			seeds = c.configTree(kv.Value, &tree{kind: "seeds", known: project.SeedConfigKeys(), top: true})
		case "snapshots":
			snapshots = c.configTree(kv.Value, &tree{kind: "snapshots", top: true})
		case "on-run-start", "on-run-end":
			c.todo(dbtProjectFile, line, 0, "", "%s hooks have no ingot equivalent; put the statements in a transaction: false pre_hook or post_hook of a model (not converted)", key)
		case "tests", "data_tests":
			c.todo(dbtProjectFile, line, 0, "", "project-wide test config has no ingot equivalent; give each test its config in the property yml (not converted)")
		default:
			if dropped[key] {
				continue
			}
			if isPathKey(key) {
				c.paths[pathKeyOf(key)] = project.StringList(val)
				continue
			}
			c.todo(dbtProjectFile, line, 0, "", "%s has no ingot equivalent (not converted)", key)
		}
	}
	if c.name == "" {
		return nil, fmt.Errorf("%s has no name", dbtProjectFile)
	}
	if c.profile == "" {
		c.profile = c.name
	}
	// dbt places relations by the profile's schema, not by folder.
	head := yaml.MapSlice{{Key: "name", Value: c.name}, {Key: "profile", Value: c.profile}, {Key: "schema-rules", Value: project.SchemaDBT}}
	for _, pk := range pathKeys[:5] {
		if p, ok := c.paths[pk.key]; ok && !slices.Equal(p, []string{pk.def}) {
			head = append(head, yaml.MapItem{Key: pk.key, Value: p})
		}
	}
	for _, pk := range pathKeys {
		if _, ok := c.paths[pk.key]; !ok {
			c.paths[pk.key] = []string{pk.def}
		}
	}
	out = append(head, out...)
	if len(models) > 0 {
		out = append(out, yaml.MapItem{Key: "models", Value: models})
	}
	if len(seeds) > 0 {
		out = append(out, yaml.MapItem{Key: "seeds", Value: seeds})
	}
	if len(snapshots) > 0 {
		out = append(out, yaml.MapItem{Key: "snapshots", Value: snapshots})
	}
	b, err := yaml.MarshalWithOptions(out, yaml.IndentSequence(true))
	if err != nil {
		return nil, err
	}
	return append([]byte("# converted from dbt_project.yml by ingot convert-dbt\n"), b...), nil
}

func isPathKey(k string) bool { return pathKeyOf(k) != "" }

func pathKeyOf(k string) string {
	for _, pk := range pathKeys {
		if k == pk.key || (pk.old != "" && k == pk.old) {
			return pk.key
		}
	}
	return ""
}

// configTree converts dbt's per-folder config: "+" prefixes go, the level
// named after the project (dbt nests folders under it) is merged into the
// root, other packages' levels and unknown keys are listed.
func (c *conv) configTree(n ast.Node, t *tree) yaml.MapSlice {
	known, top := t.known, t.top
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if mv, isKV := n.(*ast.MappingValueNode); isKV {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			return nil
		}
	}
	var out yaml.MapSlice
	for _, kv := range m.Values {
		raw := kv.Key.String()
		line := kv.Key.GetToken().Position.Line
		key := strings.ReplaceAll(strings.TrimPrefix(raw, "+"), "-", "_")
		_, isMap := kv.Value.(*ast.MappingNode)
		if _, isKV := kv.Value.(*ast.MappingValueNode); isKV {
			isMap = true
		}
		if isMap && !strings.HasPrefix(raw, "+") && !project.MapValuedConfig(key) {
			dir := path.Join(t.dir, raw)
			if !top {
				if file, ok := c.nodeFile(t.kind, dir); ok {
					// dbt configures one model or seed by name under its
					// folder; ingot takes that in a property file.
					cfg := c.configTree(kv.Value, &tree{kind: t.kind, known: known, dir: dir, leaf: true})
					c.perNode = append(c.perNode, nodeConfig{kind: t.kind, file: file, name: raw, config: cfg})
					continue
				}
			}
			if t.leaf {
				c.todo(dbtProjectFile, line, 0, "", "%s is a mapping under the single %s %s; only config keys (+key) belong here (not converted)", raw, strings.TrimSuffix(t.kind, "s"), t.dir)
				continue
			}
			child := &tree{kind: t.kind, known: known, dir: dir}
			if top {
				child.dir = "" // the project's level is the root folder
			}
			sub := c.configTree(kv.Value, child)
			if top {
				if raw != c.name {
					c.todo(dbtProjectFile, line, 0, "", "config for package %q: ingot has no packages (not converted)", raw)
					continue
				}
				out = append(out, sub...)
				continue
			}
			if len(sub) > 0 {
				out = append(out, yaml.MapItem{Key: raw, Value: sub})
			}
			continue
		}
		if why := t.unconverted(key); why != "" {
			c.todo(dbtProjectFile, line, 0, "", "config %s %s (not converted)", key, why)
			continue
		}
		var v any
		if err := yaml.NodeToValue(kv.Value, &v); err != nil {
			c.todo(dbtProjectFile, line, 0, "", "config %s: %v (not converted)", key, err)
			continue
		}
		out = append(out, yaml.MapItem{Key: key, Value: v})
	}
	return out
}

// tree is where configTree is in a models:, seeds: or snapshots: mapping.
type tree struct {
	kind  string   // models, seeds or snapshots
	known []string // the config keys of models and seeds
	top   bool     // the mapping right under models:/seeds:
	dir   string   // folder path under the model or seed paths
	leaf  bool     // the config of one model or seed
}

// unconverted says why config key is not converted, or "" when it is.
func (t *tree) unconverted(key string) string {
	if t.kind == "snapshots" {
		return snapshotConfig(key)
	}
	if why := project.UnsupportedConfig(key); why != "" {
		return "is not supported: " + why
	}
	if !slices.Contains(t.known, key) {
		return "has no ingot equivalent"
	}
	return ""
}

// nodeConfig is dbt_project.yml config for one model or seed by name.
type nodeConfig struct {
	kind, file, name string
	config           yaml.MapSlice
}

// nodeFile finds the model, seed or snapshot file dir (a path under the
// model, seed or snapshot paths, without extension) names, relative to Src.
// A dbt snapshot is named by its block, not its file; the two agree by
// convention, and the converted file is named by the block.
func (c *conv) nodeFile(kind, dir string) (string, bool) {
	roots, exts := c.paths["model-paths"], []string{".sql"}
	switch kind {
	case "seeds":
		roots, exts = c.paths["seed-paths"], []string{".csv", ".json", ".jsonl", ".ndjson", ".parquet", ".xlsx"}
	case "snapshots":
		roots = c.paths["snapshot-paths"]
	}
	if len(roots) == 0 {
		roots = []string{kind}
	}
	for _, r := range roots {
		for _, e := range exts {
			rel := path.Join(r, dir) + e
			if st, err := os.Stat(filepath.Join(c.opts.Src, filepath.FromSlash(rel))); err == nil && !st.IsDir() {
				return rel, true
			}
		}
	}
	return "", false
}

// writeNodeConfigs writes the per-node config of dbt_project.yml as a
// property file beside each node.
func (c *conv) writeNodeConfigs(context.Context) error {
	byDir := map[string][]nodeConfig{}
	var dirs []string
	for _, nc := range c.perNode {
		d := path.Dir(nc.file)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], nc)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		doc := yaml.MapSlice{}
		for _, kind := range []string{"models", "seeds", "snapshots"} {
			var list []yaml.MapSlice
			for _, nc := range byDir[d] {
				if nc.kind == kind {
					list = append(list, yaml.MapSlice{{Key: "name", Value: nc.name}, {Key: "config", Value: nc.config}})
				}
			}
			if len(list) > 0 {
				doc = append(doc, yaml.MapItem{Key: kind, Value: list})
			}
		}
		b, err := yaml.MarshalWithOptions(doc, yaml.IndentSequence(true))
		if err != nil {
			return err
		}
		head := "# config of single models, seeds and snapshots from dbt_project.yml, by ingot convert-dbt\n"
		if err := c.write(path.Join(d, "_dbt_project_config.yml"), append([]byte(head), b...)); err != nil {
			return err
		}
	}
	return nil
}
