package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// Querier runs a statement and reads its result; every adapter is one.
type Querier interface {
	Query(ctx context.Context, sql string, limit int) (*adapter.Rows, error)
}

// QueryColumns binds sql (a model's SELECT) on q and returns the columns
// it gives, reading no rows.
func QueryColumns(ctx context.Context, q Querier, sql string) ([]adapter.Column, error) {
	rows, err := q.Query(ctx, "select * from (\n"+strings.TrimRight(strings.TrimSpace(sql), ";")+"\n) as ingot_columns where 1 = 0", 0)
	if err != nil {
		return nil, err
	}
	return rows.Columns, nil
}

// contract checks model n's columns against its enforced contract before
// anything is built, so a model that breaks it leaves the old relation as
// it was.
func (r *Runner) contract(ctx context.Context, n *compile.Node, sql string) error {
	if !n.Config.ContractEnforced() {
		return nil
	}
	built, err := QueryColumns(ctx, r.A, sql)
	if err != nil {
		// The build runs the same query and reports its error at the
		// model's line; binding it here would only lose that line.
		return nil
	}
	return ContractProblems(ctx, r.A, r.M.Project, n, built).Err()
}

// ContractProblems compares the columns a model returns (built, as q
// names their types) with those its yml declares under an enforced
// contract: every declared column with its data_type, no others. Declared
// types are spelled by q's engine itself (cast(null as T)), so aliases
// such as int and integer compare equal. Each difference is one problem,
// at the yml line that declares the column (or the model's entry).
func ContractProblems(ctx context.Context, q Querier, p *project.Project, n *compile.Node, built []adapter.Column) diag.List {
	at := PropsSite(p, n)
	var problems diag.List
	if n.Materialized() == "ephemeral" {
		problems.Add(at("", "model %s is ephemeral, which builds no relation to hold a contract; remove contract or materialize it as a view or table", n.Name))
		return problems
	}
	var declared []project.Column
	if n.Props != nil {
		declared = n.Props.Columns
	}
	if len(declared) == 0 {
		problems.Add(at("", "model %s enforces a contract but its yml declares no columns; list each column under columns: with name and data_type", n.Name))
		return problems
	}
	var typed []project.Column
	for _, c := range declared {
		if strings.TrimSpace(c.DataType) == "" {
			problems.Add(at(c.Name, "contract of %s: column %q has no data_type; an enforced contract needs one for every column", n.Name, c.Name))
			continue
		}
		typed = append(typed, c)
	}
	want, bad := EngineTypes(ctx, q, typed)
	for name, err := range bad {
		problems.Add(at(name, "contract of %s: column %q: data_type is not a type the target knows: %s", n.Name, name, firstLine(err.Error())))
	}
	have := map[string]adapter.Column{}
	for _, c := range built {
		have[strings.ToLower(c.Name)] = c
	}
	for _, c := range declared {
		b, ok := have[strings.ToLower(c.Name)]
		switch {
		case bad[c.Name] != nil || strings.TrimSpace(c.DataType) == "":
			// already reported
		case !ok:
			problems.Add(at(c.Name, "contract of %s: column %q (%s) is declared but the model does not return it", n.Name, c.Name, c.DataType))
		case want[c.Name] != "" && !strings.EqualFold(want[c.Name], b.Type):
			problems.Add(at(c.Name, "contract of %s: column %q is declared %s (%s) but the model returns %s; cast it in the model's select or change data_type", n.Name, c.Name, c.DataType, want[c.Name], b.Type))
		}
	}
	for _, b := range built {
		found := false
		for _, c := range declared {
			found = found || strings.EqualFold(c.Name, b.Name)
		}
		if !found {
			problems.Add(at("", "contract of %s: the model returns column %q (%s), which its yml does not declare; add it under columns: with a data_type or leave it out of the select", n.Name, b.Name, b.Type))
		}
	}
	return problems
}

// engineTypes spells each column's declared data_type as q's engine names
// it in a result; bad holds the columns whose type the engine refused.
func EngineTypes(ctx context.Context, q Querier, cols []project.Column) (want map[string]string, bad map[string]error) {
	want, bad = map[string]string{}, map[string]error{}
	if len(cols) == 0 {
		return want, bad
	}
	cast := func(c project.Column) string {
		return "cast(null as " + c.DataType + ") as " + adapter.QuoteIdent(c.Name)
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = cast(c)
	}
	rows, err := q.Query(ctx, "select "+strings.Join(parts, ", "), 0)
	if err == nil && len(rows.Columns) == len(cols) {
		for i, c := range cols {
			want[c.Name] = rows.Columns[i].Type
		}
		return want, bad
	}
	// One at a time, to say which types the engine refused.
	for _, c := range cols {
		rows, err := q.Query(ctx, "select "+cast(c), 0)
		if err != nil {
			bad[c.Name] = err
			continue
		}
		want[c.Name] = rows.Columns[0].Type
	}
	return want, bad
}

// contractSite returns a constructor of problems located in n's yml: at
// the line naming column (the model's entry when column is "" or not
// found).
func PropsSite(p *project.Project, n *compile.Node) func(column, format string, args ...any) *diag.Error {
	file, line := n.Path, 0
	var src []byte
	if n.Props != nil && n.Props.File != "" {
		file, line = n.Props.File, n.Props.Line
		if p != nil {
			src, _ = os.ReadFile(filepath.Join(p.Root, filepath.FromSlash(file)))
		}
	}
	return func(column, format string, args ...any) *diag.Error {
		l := line
		if column != "" {
			if cl := columnLine(src, line, column); cl > 0 {
				l = cl
			}
		}
		return diag.At(file, src, l, 0, format, args...)
	}
}

// columnLine finds the line, at or after from, of the yml entry naming
// column (name: x, name: "x", {name: x, ...}); 0 when there is none.
func columnLine(src []byte, from int, column string) int {
	lines := strings.Split(string(src), "\n")
	// from is the entry's own line (name: model): columns come after it.
	for i := max(from, 0); i < len(lines); i++ {
		_, rest, ok := strings.Cut(lines[i], "name:")
		if !ok {
			continue
		}
		v := strings.TrimSpace(rest)
		if j := strings.IndexAny(v, ",}#"); j >= 0 {
			v = strings.TrimSpace(v[:j])
		}
		if strings.Trim(v, `"'`) == column {
			return i + 1
		}
	}
	return 0
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
