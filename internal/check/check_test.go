package check

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// manifest writes files (and a project.yml) into a temporary project and
// compiles it for a DuckDB target.
func manifest(t *testing.T, files map[string]string) *compile.Manifest {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["project.yml"]; !ok {
		files["project.yml"] = "name: p\nmodels:\n  materialized: table\n"
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	p, err := project.Load(ctx, project.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := adapter.NewRegistry(duckdb.Engine())
	if err != nil {
		t.Fatal(err)
	}
	opts := compile.Options{TargetName: "dev", RunStarted: time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC)}.WithEngine(reg, "duckdb")
	m, err := compile.Build(ctx, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.BuildGraph(); err != nil {
		t.Fatal(err)
	}
	return m
}

func models(m *compile.Manifest) []string {
	var ids []string
	for _, id := range m.Graph.Order() {
		if k := m.Nodes[id].Kind; k == compile.KindModel || k == compile.KindSnapshot {
			ids = append(ids, id)
		}
	}
	return ids
}

// people is a seed every case can read: id BIGINT, name VARCHAR, born DATE.
const people = "id,name,born\n1,ann,2000-01-02\n"

func TestCheckLocatesProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// want are the problems, each "file:line: start of the message".
		want []string
		// notes are substrings of the notes, in order.
		notes []string
	}{
		{
			name: "unknown column",
			files: map[string]string{
				"models/b.sql": "select id,\n  nmae\nfrom {{ ref \"people\" }}\n",
			},
			want: []string{`models/b.sql:2: Binder Error: Referenced column "nmae" not found in FROM clause! Candidate bindings: "name"`},
		},
		{
			name: "string plus number",
			files: map[string]string{
				"models/b.sql": "select\n  'a' + 1 as x\n",
			},
			want: []string{`models/b.sql:2: Binder Error: Could not choose a best candidate function for the function call "+(STRING_LITERAL, INTEGER_LITERAL)"`},
		},
		{
			name: "varchar column plus number, operator overloads left out",
			files: map[string]string{
				"models/b.sql": "select id,\n  name + 1 as n\nfrom {{ ref \"people\" }}\n",
			},
			want: []string{`models/b.sql:2: Binder Error: No function matches the given name and argument types '+(VARCHAR, INTEGER_LITERAL)'. You might need to add explicit type casts.`},
		},
		{
			name: "date compared with a number",
			files: map[string]string{
				"models/b.sql": "select id\nfrom {{ ref \"people\" }}\nwhere born > id\n",
			},
			want: []string{`models/b.sql:3: Binder Error: Cannot compare values of type DATE and type BIGINT - an explicit cast is required`},
		},
		{
			name: "ambiguous column",
			files: map[string]string{
				"models/a.sql": "select * from {{ ref \"people\" }}\n",
				"models/b.sql": "-- both inputs have id\nselect id\nfrom {{ ref \"a\" }} x\njoin {{ ref \"people\" }} y on x.id = y.id\n",
			},
			want: []string{`models/b.sql:2: Binder Error: Ambiguous reference to column name "id" (use: "x.id" or "y.id")`},
		},
		{
			name: "every model's problem at once, children of a broken model skipped",
			files: map[string]string{
				"models/a.sql": "select nope from {{ ref \"people\" }}\n",
				"models/b.sql": "select * from {{ ref \"a\" }}\n",
				"models/c.sql": "select id, nope2 from {{ ref \"people\" }}\n",
			},
			want: []string{
				`models/a.sql:1: Binder Error: Referenced column "nope" not found`,
				`models/c.sql:1: Binder Error: Referenced column "nope2" not found`,
			},
			notes: []string{"not checked: it depends on a, which has problems"},
		},
		{
			name: "children bind against the parent's real types",
			files: map[string]string{
				"models/a.sql": "select id, cast(born as varchar) as born from {{ ref \"people\" }}\n",
				"models/b.sql": "select id\nfrom {{ ref \"a\" }}\nwhere born + 1 > 2\n",
			},
			want: []string{`models/b.sql:3: Binder Error: No function matches the given name and argument types '+(VARCHAR, INTEGER_LITERAL)'`},
		},
		{
			name: "ephemeral model's problem in its own file, its readers skipped",
			files: map[string]string{
				"models/e.sql": "{{ config \"materialized\" \"ephemeral\" }}\nselect id, nope\nfrom {{ ref \"people\" }}\n",
				"models/b.sql": "select id from {{ ref \"e\" }}\n",
			},
			want:  []string{`models/e.sql:2: Binder Error: Referenced column "nope" not found`},
			notes: []string{"not checked: it depends on e, which has problems"},
		},
		{
			name: "ephemeral model inlined: readers see its columns",
			files: map[string]string{
				"models/e.sql": "{{ config \"materialized\" \"ephemeral\" }}\nselect id, name from {{ ref \"people\" }}\n",
				"models/b.sql": "select id,\n  born\nfrom {{ ref \"e\" }}\n",
			},
			want: []string{`models/b.sql:2: Binder Error: Referenced column "born" not found in FROM clause! Candidate bindings:`},
		},
		{
			name: "incremental branch bound against the model's own table",
			files: map[string]string{
				"models/b.sql": "{{ config \"materialized\" \"incremental\" }}\nselect id, born from {{ ref \"people\" }}\n{{ if is_incremental }}\nwhere born > (select max(birthday) from {{ this }})\n{{ end }}\n",
			},
			want: []string{`models/b.sql:4: Binder Error: Referenced column "birthday" not found in FROM clause! Candidate bindings: "born"`},
		},
		{
			name: "a line written by a macro shows the compiled line",
			files: map[string]string{
				"macros/m.sql": "{{ define \"bad_col\" }}nope_from_macro{{ end }}",
				"models/b.sql": "select id,\n{{ template \"bad_col\" }}\nfrom {{ ref \"people\" }}\n",
			},
			want: []string{`models/b.sql: Binder Error: Referenced column "nope_from_macro" not found in FROM clause! Candidate bindings: "born", "name" (line 2 of the compiled SQL: nope_from_macro)`},
		},
		{
			name: "typed source is created; untyped source skips its readers",
			files: map[string]string{
				"models/src.yml": "sources:\n  - name: raw\n    tables:\n      - name: typed\n        columns:\n          - {name: id, data_type: integer}\n          - {name: ts, data_type: timestamp}\n      - name: untyped\n        columns: [{name: id}]\n",
				"models/a.sql":   "select id,\n  ts + 1 as later\nfrom {{ source \"raw\" \"typed\" }}\n",
				"models/b.sql":   "select id from {{ source \"raw\" \"untyped\" }}\n",
				"models/c.sql":   "select id from {{ ref \"b\" }}\n",
			},
			want: []string{`models/a.sql:2: Binder Error: No function matches the given name and argument types '+(TIMESTAMP, INTEGER_LITERAL)'`},
			notes: []string{
				"source raw.untyped: columns unknown: its yml declares no data_type for its columns; declare each column's data_type",
				"not checked: it depends on source raw.untyped, whose columns are unknown",
				"not checked: it depends on source raw.untyped, whose columns are unknown",
			},
		},
		{
			name: "a source column type DuckDB does not know",
			files: map[string]string{
				"models/src.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n        columns:\n          - name: id\n            data_type: integr\n",
				"models/a.sql":   "select id from {{ source \"raw\" \"t\" }}\n",
			},
			want:  []string{`models/src.yml:6: source raw.t: column "id": data_type integr is not a DuckDB type: Catalog Error: Type with name integr does not exist! Did you mean "integer"?`},
			notes: []string{"not checked: it depends on source raw.t, which has problems"},
		},
		{
			name: "run_query returns no rows, with a note",
			files: map[string]string{
				"models/b.sql": "{{ $rows := run_query \"select 1 as x\" }}select {{ len $rows }} as n\n",
			},
			notes: []string{"run_query returns no rows at check time"},
		},
		{
			name: "contract drift: missing, extra and mistyped columns",
			files: map[string]string{
				"models/b.sql": "{{ config \"contract\" (dict \"enforced\" true) }}\nselect id, name, born from {{ ref \"people\" }}\n",
				"models/b.yml": "models:\n  - name: b\n    columns:\n      - name: id\n        data_type: bigint\n      - name: name\n        data_type: int\n      - name: city\n        data_type: text\n",
			},
			want: []string{
				`models/b.yml:2: contract of b: the model returns column "born" (DATE), which its yml does not declare`,
				`models/b.yml:6: contract of b: column "name" is declared int (INTEGER) but the model returns VARCHAR`,
				`models/b.yml:8: contract of b: column "city" (text) is declared but the model does not return it`,
			},
		},
		{
			name: "contract kept: type aliases compare equal",
			files: map[string]string{
				"models/b.sql": "select id, name, born from {{ ref \"people\" }}\n",
				"models/b.yml": "models:\n  - name: b\n    config: {contract: {enforced: true}}\n    columns:\n      - {name: id, data_type: int8}\n      - {name: name, data_type: text}\n      - {name: born, data_type: date}\n",
			},
		},
		{
			name: "contract with a column lacking data_type and a type DuckDB does not know",
			files: map[string]string{
				"models/b.sql": "select id, name from {{ ref \"people\" }}\n",
				"models/b.yml": "models:\n  - name: b\n    config: {contract: {enforced: true}}\n    columns:\n      - name: id\n      - name: name\n        data_type: strng\n",
			},
			want: []string{
				`models/b.yml:5: contract of b: column "id" has no data_type; an enforced contract needs one for every column`,
				`models/b.yml:6: contract of b: column "name": data_type is not a type the target knows: Catalog Error: Type with name strng does not exist!`,
			},
		},
		{
			name: "snapshot table has the meta columns readers use",
			files: map[string]string{
				"snapshots/s.sql": "{{ config \"unique_key\" \"id\" \"strategy\" \"check\" \"check_cols\" \"all\" }}\nselect id, name from {{ ref \"people\" }}\n",
				"models/b.sql":    "select id, dbt_valid_from,\n  dbt_valid_too\nfrom {{ ref \"s\" }}\n",
			},
			want: []string{`models/b.sql:2: Binder Error: Referenced column "dbt_valid_too" not found in FROM clause! Candidate bindings: "dbt_valid_to"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["seeds/people.csv"] = people
			m := manifest(t, tt.files)
			rep, err := Run(context.Background(), m, models(m), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d:\n%s\nwant it to start with\n%s", i+1, got[i], w)
				}
			}
			for _, p := range rep.Problems {
				if d, ok := p.(*diag.Error); ok && d.Line > 0 && d.Source == "" {
					t.Errorf("%s: no source line to show", d)
				}
			}
			var notes []string
			for _, n := range rep.Notes {
				notes = append(notes, n.Msg)
			}
			if len(notes) != len(tt.notes) {
				t.Fatalf("notes:\n%s\nwant %d", strings.Join(notes, "\n"), len(tt.notes))
			}
			for i, w := range tt.notes {
				if !strings.Contains(notes[i], w) {
					t.Errorf("note %d: %s\nwant it to contain %s", i+1, notes[i], w)
				}
			}
		})
	}
}

// fakeWarehouse knows one relation's columns.
type fakeWarehouse struct {
	rel  string
	cols []adapter.Column
}

func (w fakeWarehouse) Describe(_ context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	if r.String() == w.rel {
		return adapter.KindTable, w.cols, nil
	}
	return adapter.KindNone, nil, nil
}

func TestUntypedSourceFromWarehouseAndBoundColumns(t *testing.T) {
	m := manifest(t, map[string]string{
		"models/src.yml": "sources:\n  - name: raw\n    tables: [{name: events}, {name: gone}]\n",
		"models/a.sql":   "select id, amount * 2 as doubled from {{ source \"raw\" \"events\" }}\n",
		"models/b.sql":   "select * from {{ source \"raw\" \"gone\" }}\n",
	})
	wh := fakeWarehouse{rel: "raw.events", cols: []adapter.Column{{Name: "id", Type: "INTEGER"}, {Name: "amount", Type: "DECIMAL(18,2)"}}}
	rep, err := Run(context.Background(), m, models(m), Options{Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 {
		t.Fatalf("problems: %v", rep.Problems)
	}
	got := rep.Columns["model.main.a"]
	want := []adapter.Column{{Name: "id", Type: "INTEGER"}, {Name: "doubled", Type: "DECIMAL(18,2)"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("columns of a = %v, want %v", got, want)
	}
	if rep.Checked["model"] != 1 || rep.Checked["source"] != 1 || rep.Skipped != 1 {
		t.Errorf("checked %v, skipped %d; want 1 model, 1 source, 1 skipped", rep.Checked, rep.Skipped)
	}
	if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0].Msg, "the warehouse has no raw.gone") {
		t.Errorf("notes = %+v", rep.Notes)
	}
}
