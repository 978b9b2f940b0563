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

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/project"
)

// commonFields are the output fields every engine has; the engines'
// own come from their DBTProfile.
var commonFields = map[string]string{"type": "type", "threads": "threads", "schema": "schema"}

// profiles converts the project's profile: outputs of an engine's dbt
// type keep the fields ingot reads; env_var calls become Go templates.
func (c *conv) profiles(context.Context) error {
	dir := c.opts.ProfilesDir
	if dir == "" {
		dir = c.opts.Src
	}
	raw, err := os.ReadFile(filepath.Join(dir, project.ProfilesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return c.starterProfile("no profiles.yml in %s (dbt reads ~/.dbt/profiles.yml; pass --profiles-dir)", dir)
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
		return c.starterProfile("profile %q (of dbt_project.yml) is not in %s", c.profile, filepath.Join(dir, project.ProfilesFile))
	}
	var target string
	var outputs yaml.MapSlice
	engines := map[string]string{} // output name → engine
	for _, kv := range prof.Values {
		switch kv.Key.String() {
		case "target":
			target = kv.Value.String()
		case "outputs":
			for _, o := range valuesOf(asMapping(kv.Value)) {
				if out, eng, ok := c.output(o); ok {
					outputs = append(outputs, yaml.MapItem{Key: o.Key.String(), Value: out})
					engines[o.Key.String()] = eng
				}
			}
		}
	}
	c.targetType = engines[target]
	return c.writeProfiles(outputs, target)
}

// starterProfile writes the output of a project that names no warehouse
// (the registry's starter engine) and lists why.
func (c *conv) starterProfile(why string, args ...any) error {
	var eng *adapter.Engine
	ok := false
	if c.opts.Engines != nil {
		eng, ok = c.opts.Engines.Starter()
	}
	if !ok {
		c.todo(project.ProfilesFile, 0, 0, "", why+": write profiles.yml yourself", args...)
		return nil
	}
	out := yaml.MapSlice{{Key: "type", Value: eng.Name}}
	var desc []string
	for _, kv := range eng.Starter(c.name) {
		out = append(out, yaml.MapItem{Key: kv[0], Value: kv[1]})
		desc = append(desc, kv[0]+": "+kv[1])
	}
	c.todo(project.ProfilesFile, 0, 0, "", why+": wrote a %s target dev (%s)", append(args, eng.Name, strings.Join(desc, ", "))...)
	c.targetType = eng.Name
	return c.writeProfiles(yaml.MapSlice{{Key: "dev", Value: out}}, "dev")
}

// output converts one dbt output; eng is the ingot engine it is for.
func (c *conv) output(o *ast.MappingValueNode) (out yaml.MapSlice, eng string, ok bool) {
	name := o.Key.String()
	fields := asMapping(o.Value)
	typ := ""
	for _, kv := range valuesOf(fields) {
		if kv.Key.String() == "type" {
			typ = kv.Value.String()
		}
	}
	var e *adapter.Engine
	if c.opts.Engines != nil {
		e, ok = c.opts.Engines.ForDBT(typ)
	}
	if !ok {
		var types []string
		if c.opts.Engines != nil {
			types = c.opts.Engines.DBTTypes()
		}
		c.todo(project.ProfilesFile, o.Key.GetToken().Position.Line, 0, "", "output %s has type %q; ingot supports %s (not converted)", name, typ, andList(types))
		return nil, "", false
	}
	for _, kv := range valuesOf(fields) {
		k := kv.Key.String()
		if k == "type" {
			out = append(out, yaml.MapItem{Key: "type", Value: e.Name})
			continue
		}
		to, ok := commonFields[k]
		if !ok {
			to, ok = e.DBT.Keys[k]
		}
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
	return out, e.Name, true
}

// andList joins names as "a, b and c" ("none" when there are none).
func andList(names []string) string {
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
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
