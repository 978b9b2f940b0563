package compile

import (
	"context"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// schemaMacro is the macro dbt users override to place relations.
const schemaMacro = "generate_schema_name"

// targetSchema is the schema models land in by default under dbt's rules.
func (m *Manifest) targetSchema() string {
	if m.Opts.TargetSchema != "" {
		return m.Opts.TargetSchema
	}
	if d := m.Opts.Dialect.DefaultSchema; d != "" {
		return d
	}
	return "main"
}

// schemaOf is the schema of a model, seed or snapshot. With schema-rules:
// folders it is the config "schema", a snapshot's "target_schema", or def
// (the folder, or "seeds"); with dbt's rules it is a snapshot's
// "target_schema" as written (dbt before 1.9 does not pass it through
// generate_schema_name), else the target schema, <target>_<custom> for a
// custom schema, or what the project's generate_schema_name macro renders.
func (m *Manifest) schemaOf(ctx context.Context, n *Node, def string) (string, error) {
	custom := n.Config.String("schema")
	legacy := ""
	if n.Kind == KindSnapshot {
		legacy = strings.TrimSpace(n.Config.String("target_schema"))
	}
	if m.Project.SchemaRules != project.SchemaDBT {
		if custom != "" {
			return custom, nil
		}
		if legacy != "" {
			return legacy, nil
		}
		return def, nil
	}
	if legacy != "" {
		return legacy, nil
	}
	if !m.hasMacro(schemaMacro) {
		if custom == "" {
			return m.targetSchema(), nil
		}
		return m.targetSchema() + "_" + strings.TrimSpace(custom), nil
	}
	// dbt calls generate_schema_name(custom_schema_name, node), with none
	// for no custom schema.
	const key = "__ingot_schema_arguments"
	var arg any
	if custom != "" {
		arg = custom
	}
	args := []any{arg, map[string]any{"name": n.Name, "resource_type": n.Kind, "path": n.Path, "config": map[string]any(n.Config)}}
	name := n.Path + " (" + schemaMacro + ")"
	t, err := m.Engine.Parse(name, []byte(fmt.Sprintf("{{ %s (var %q) }}", schemaMacro, key)))
	if err != nil {
		return "", err
	}
	c := m.context(n, map[string]any{key: args}, false, nil)
	out, err := m.Engine.Render(ctx, t, c)
	if err != nil {
		return "", &diag.Error{File: n.Path, Msg: fmt.Sprintf("%s: %v", schemaMacro, err), Err: err}
	}
	s := strings.TrimSpace(out.SQL)
	if s == "" {
		return "", &diag.Error{File: n.Path, Msg: fmt.Sprintf("macro %s gave an empty schema for %s", schemaMacro, n.Name)}
	}
	return s, nil
}

func (m *Manifest) hasMacro(name string) bool {
	for _, p := range []string{"", m.Opts.TargetType + "__", "default__"} {
		if m.Engine.HasMacro(p + name) {
			return true
		}
	}
	return false
}
