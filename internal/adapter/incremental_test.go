package adapter

import (
	"strings"
	"testing"
)

func TestPlanIncremental(t *testing.T) {
	tests := []struct {
		m       Materialization
		want    string // strategy/keys/on_schema_change, or error text
		wantErr bool
	}{
		{Materialization{}, "append//ignore", false},
		{Materialization{UniqueKey: []string{"id"}}, "merge/id/ignore", false},
		{Materialization{Strategy: "delete+insert", UniqueKey: []string{"a", " b "}, OnSchemaChange: "fail"}, "delete+insert/a,b/fail", false},
		{Materialization{Strategy: "merge"}, "needs a unique_key", true},
		{Materialization{Strategy: "upsert"}, `unknown incremental_strategy "upsert"`, true},
		{Materialization{OnSchemaChange: "sync"}, `unknown on_schema_change "sync"`, true},
		{Materialization{UniqueKey: []string{" "}}, "empty column name", true},
	}
	for _, tt := range tests {
		p, err := PlanIncremental(tt.m)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%+v: error %v, want %q", tt.m, err, tt.want)
			}
			continue
		}
		got := p.Strategy + "/" + strings.Join(p.Keys, ",") + "/" + p.OnSchemaChange
		if err != nil || got != tt.want {
			t.Errorf("%+v: got %q, %v; want %q", tt.m, got, err, tt.want)
		}
	}
}

func TestReconcile(t *testing.T) {
	r := Relation{Schema: "gold", Name: "x"}
	table := []Column{{Name: "id"}, {Name: "a"}, {Name: "gone"}}
	model := []Column{{Name: "ID"}, {Name: "a"}, {Name: "new", Type: "INTEGER"}}
	tests := []struct {
		osc, want string
	}{
		{"ignore", "ID,a|"},
		{"append_new_columns", "ID,a,new|new"},
		{"fail", "new columns new; missing columns gone"},
	}
	for _, tt := range tests {
		p := IncrementalPlan{Strategy: "merge", Keys: []string{"id"}, OnSchemaChange: tt.osc}
		write, add, err := p.Reconcile(r, model, table, strings.ToLower)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			var names []string
			for _, c := range add {
				names = append(names, c.Name)
			}
			got = strings.Join(write, ",") + "|" + strings.Join(names, ",")
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.osc, got, tt.want)
		}
	}
	// Case matters where the engine compares names exactly.
	p := IncrementalPlan{Strategy: "merge", Keys: []string{"id"}, OnSchemaChange: "ignore"}
	if _, _, err := p.Reconcile(r, model, table, func(s string) string { return s }); err == nil || !strings.Contains(err.Error(), `unique_key column "id" is not among the model's columns`) {
		t.Errorf("exact folding: %v", err)
	}
}
