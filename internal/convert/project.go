package convert

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/project"
)

const dbtProjectFile = "dbt_project.yml"

// pathKeys are dbt's folder keys with their defaults; the first four
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
	var models, seeds yaml.MapSlice
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
			models = c.configTree(kv.Value, project.ModelConfigKeys(), true)
		case "seeds":
			seeds = c.configTree(kv.Value, project.SeedConfigKeys(), true)
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
	for _, pk := range pathKeys[:4] {
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
func (c *conv) configTree(n ast.Node, known []string, top bool) yaml.MapSlice {
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
			sub := c.configTree(kv.Value, known, false)
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
		if why := project.UnsupportedConfig(key); why != "" || !slices.Contains(known, key) {
			msg := "has no ingot equivalent"
			if why != "" {
				msg = "is not supported: " + why
			}
			c.todo(dbtProjectFile, line, 0, "", "config %s %s (not converted)", key, msg)
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
