package convert

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/project"
)

// outputFields are the profile fields ingot reads per engine, with dbt's
// other spellings.
var outputFields = map[string]map[string]string{
	"duckdb": {"type": "type", "threads": "threads", "path": "path", "schema": "schema", "settings": "settings"},
	"postgres": {"type": "type", "threads": "threads", "host": "host", "port": "port", "user": "user",
		"password": "password", "pass": "password", "dbname": "dbname", "database": "dbname",
		"schema": "schema", "sslmode": "sslmode", "connect_timeout": "connect_timeout"},
}

// profiles converts the project's profile: duckdb and postgres outputs
// keep the fields ingot reads; env_var calls become Go templates.
func (c *conv) profiles(context.Context) error {
	dir := c.opts.ProfilesDir
	if dir == "" {
		dir = c.opts.Src
	}
	raw, err := os.ReadFile(filepath.Join(dir, project.ProfilesFile))
	if errors.Is(err, fs.ErrNotExist) {
		c.todo(project.ProfilesFile, 0, 0, "", "no profiles.yml in %s (dbt reads ~/.dbt/profiles.yml; pass --profiles-dir): wrote a DuckDB target dev in %s.duckdb", dir, c.name)
		return c.writeProfiles(yaml.MapSlice{{Key: "dev", Value: yaml.MapSlice{{Key: "type", Value: "duckdb"}, {Key: "path", Value: c.name + ".duckdb"}}}}, "dev")
	}
	if err != nil {
		return err
	}
	f, err := parser.ParseBytes(raw, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", project.ProfilesFile, err)
	}
	var root *ast.MappingNode
	if len(f.Docs) > 0 {
		root, _ = f.Docs[0].Body.(*ast.MappingNode)
	}
	var prof *ast.MappingNode
	for _, kv := range valuesOf(root) {
		if kv.Key.String() == c.profile {
			prof, _ = kv.Value.(*ast.MappingNode)
		}
	}
	if prof == nil {
		c.todo(project.ProfilesFile, 0, 0, "", "profile %q (of dbt_project.yml) is not in %s: wrote a DuckDB target dev in %s.duckdb", c.profile, filepath.Join(dir, project.ProfilesFile), c.name)
		return c.writeProfiles(yaml.MapSlice{{Key: "dev", Value: yaml.MapSlice{{Key: "type", Value: "duckdb"}, {Key: "path", Value: c.name + ".duckdb"}}}}, "dev")
	}
	var target string
	var outputs yaml.MapSlice
	for _, kv := range prof.Values {
		switch kv.Key.String() {
		case "target":
			target = kv.Value.String()
		case "outputs":
			for _, o := range valuesOf(asMapping(kv.Value)) {
				if out, ok := c.output(o); ok {
					outputs = append(outputs, yaml.MapItem{Key: o.Key.String(), Value: out})
				}
			}
		}
	}
	return c.writeProfiles(outputs, target)
}

func (c *conv) output(o *ast.MappingValueNode) (yaml.MapSlice, bool) {
	name := o.Key.String()
	fields := asMapping(o.Value)
	typ := ""
	for _, kv := range valuesOf(fields) {
		if kv.Key.String() == "type" {
			typ = kv.Value.String()
		}
	}
	known, ok := outputFields[typ]
	if !ok {
		c.todo(project.ProfilesFile, o.Key.GetToken().Position.Line, 0, "", "output %s has type %q; ingot supports duckdb and postgres (not converted)", name, typ)
		return nil, false
	}
	var out yaml.MapSlice
	for _, kv := range valuesOf(fields) {
		k := kv.Key.String()
		to, ok := known[k]
		if !ok {
			c.todo(project.ProfilesFile, kv.Key.GetToken().Position.Line, 0, "", "output %s: %s is not a %s field ingot reads (not converted)", name, k, typ)
			continue
		}
		var v any
		if err := yaml.NodeToValue(kv.Value, &v); err != nil {
			c.todo(project.ProfilesFile, kv.Key.GetToken().Position.Line, 0, "", "output %s: %s: %v (not converted)", name, k, err)
			continue
		}
		if str, ok := v.(string); ok && strings.Contains(str, "{") {
			// values are templates in both tools: env_var('X') → env_var "X"
			text, problems := c.tr.Translate(str)
			for _, p := range problems {
				c.todo(project.ProfilesFile, kv.Key.GetToken().Position.Line, 0, p.Text, "%s", p.Msg)
			}
			v = text
		}
		out = append(out, yaml.MapItem{Key: to, Value: v})
	}
	return out, true
}

func (c *conv) writeProfiles(outputs yaml.MapSlice, target string) error {
	doc := yaml.MapSlice{{Key: c.profile, Value: yaml.MapSlice{{Key: "target", Value: target}, {Key: "outputs", Value: outputs}}}}
	// ingot renders profiles.yml as a template before reading it as YAML,
	// so a value holding {{ env_var "X" }} must not escape its quotes.
	b, err := yaml.MarshalWithOptions(doc, yaml.UseSingleQuote(true))
	if err != nil {
		return err
	}
	return c.write(project.ProfilesFile, b)
}

func asMapping(n ast.Node) *ast.MappingNode {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x
	case *ast.MappingValueNode:
		return &ast.MappingNode{Values: []*ast.MappingValueNode{x}}
	}
	return nil
}

func valuesOf(m *ast.MappingNode) []*ast.MappingValueNode {
	if m == nil {
		return nil
	}
	return m.Values
}
