package adapter

import (
	"errors"
	"fmt"
	"strings"
)

// IncrementalPlan is an incremental model's validated configuration,
// shared by the engines so both accept and reject the same configs.
type IncrementalPlan struct {
	Strategy       string   // append, merge or delete+insert
	Keys           []string // unique_key columns
	OnSchemaChange string   // ignore, fail or append_new_columns
}

// Check validates a materialization request before anything is sent, and
// returns the incremental plan of incremental models (checked on full
// builds too, so a typo fails on the first run).
func (m Materialization) Check() (IncrementalPlan, error) {
	if m.Relation.Schema == "" || m.Relation.Name == "" {
		return IncrementalPlan{}, errors.New("relation needs a schema and a name")
	}
	switch m.Materialized {
	case "view", "table":
		return IncrementalPlan{}, nil
	case "incremental":
		return PlanIncremental(m)
	}
	return IncrementalPlan{}, fmt.Errorf("unknown materialization %q (want view, table or incremental)", m.Materialized)
}

// PlanIncremental validates the incremental config up front, so a bad
// strategy fails on the first (full) build too, not only on later runs.
func PlanIncremental(m Materialization) (IncrementalPlan, error) {
	p := IncrementalPlan{Strategy: m.Strategy, OnSchemaChange: m.OnSchemaChange}
	for _, k := range m.UniqueKey {
		k = strings.TrimSpace(k)
		if k == "" {
			return p, errors.New("unique_key has an empty column name")
		}
		p.Keys = append(p.Keys, k)
	}
	if p.Strategy == "" {
		p.Strategy = "append"
		if len(p.Keys) > 0 {
			p.Strategy = "merge"
		}
	}
	switch p.Strategy {
	case "append":
	case "merge", "delete+insert":
		if len(p.Keys) == 0 {
			return p, fmt.Errorf("incremental_strategy %s needs a unique_key (one column or a list)", p.Strategy)
		}
	default:
		return p, fmt.Errorf("unknown incremental_strategy %q (want append, merge or delete+insert)", p.Strategy)
	}
	switch p.OnSchemaChange {
	case "":
		p.OnSchemaChange = "ignore"
	case "ignore", "fail", "append_new_columns":
	default:
		return p, fmt.Errorf("unknown on_schema_change %q (want ignore, fail or append_new_columns)", p.OnSchemaChange)
	}
	return p, nil
}

// Reconcile compares the model's new columns with the existing table's
// and applies on_schema_change: it returns the columns to write and the
// columns to add to the table. fold maps a column name to the form the
// engine compares identifiers in (lower case for DuckDB, as is for
// PostgreSQL's quoted names).
func (p IncrementalPlan) Reconcile(r Relation, model, table []Column, fold func(string) string) (write []string, add []Column, err error) {
	inTable := map[string]bool{}
	for _, c := range table {
		inTable[fold(c.Name)] = true
	}
	inModel := map[string]bool{}
	var common, added []string
	for _, c := range model {
		inModel[fold(c.Name)] = true
		if inTable[fold(c.Name)] {
			common = append(common, c.Name)
		} else {
			added = append(added, c.Name)
			add = append(add, c)
		}
	}
	var removed []string
	for _, c := range table {
		if !inModel[fold(c.Name)] {
			removed = append(removed, c.Name)
		}
	}
	switch p.OnSchemaChange {
	case "fail":
		if len(added) > 0 || len(removed) > 0 {
			var parts []string
			if len(added) > 0 {
				parts = append(parts, "new columns "+strings.Join(added, ", "))
			}
			if len(removed) > 0 {
				parts = append(parts, "missing columns "+strings.Join(removed, ", "))
			}
			return nil, nil, fmt.Errorf("the model's columns differ from the existing table %s: %s "+
				"(on_schema_change is fail; use append_new_columns or ignore, or rebuild with --full-refresh)",
				r, strings.Join(parts, "; "))
		}
		write = common
	case "append_new_columns":
		write = append(common, added...)
	default:
		write, add = common, nil
	}
	if len(write) == 0 {
		return nil, nil, fmt.Errorf("the model has no column in common with the existing table %s", r)
	}
	if p.Strategy != "append" {
		for _, k := range p.Keys {
			if !inModel[fold(k)] {
				return nil, nil, fmt.Errorf("unique_key column %q is not among the model's columns", k)
			}
			if !inTable[fold(k)] {
				return nil, nil, fmt.Errorf("unique_key column %q is not in the existing table %s", k, r)
			}
		}
	}
	return write, add, nil
}

// Clip shortens s to n runes with an ellipsis, for quoting SQL in errors.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
