package convert

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
)

// Profiles are converted by what the registry's engines say about dbt's
// adapter types, so an engine whose name differs from its dbt type, and
// one with no local starter output, need no edit here.
func TestConvertProfilesByRegistry(t *testing.T) {
	duck := duckdb.Engine()
	wh := &adapter.Engine{Name: "wh", DecodeOptions: duck.DecodeOptions, Open: duck.Open, Dialect: duck.Dialect,
		DBT: &adapter.DBTProfile{Type: "warehouse", Keys: map[string]string{"file": "path"}}}
	local := &adapter.Engine{Name: "local", DecodeOptions: duck.DecodeOptions, Open: duck.Open, Dialect: duck.Dialect,
		Starter: func(project string) [][2]string { return [][2]string{{"path", "db/" + project + ".db"}} }}
	tests := []struct {
		name     string
		engines  []*adapter.Engine
		profiles string
		want     []string // in the written profiles.yml
		wantTodo []string
	}{
		{
			name:     "an engine named apart from its dbt type",
			engines:  []*adapter.Engine{wh, local},
			profiles: "shop:\n  target: dev\n  outputs:\n    dev: {type: warehouse, file: w.db, threads: 2, extensions: [x]}\n    other: {type: snowflake}\n",
			want:     []string{"type: wh", "path: w.db", "threads: 2"},
			wantTodo: []string{
				"profiles.yml:4: output dev: extensions is not a warehouse field ingot reads (not converted)",
				`profiles.yml:5: output other has type "snowflake"; ingot supports warehouse (not converted)`,
			},
		},
		{
			name:     "no profile: the starter engine's output",
			engines:  []*adapter.Engine{wh, local},
			want:     []string{"type: local", "path: db/shop.db"},
			wantTodo: []string{"profiles.yml: no profiles.yml in"},
		},
		{
			name:     "no profile and no starter engine",
			engines:  []*adapter.Engine{wh},
			wantTodo: []string{"write profiles.yml yourself"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
			files := map[string]string{"dbt_project.yml": "name: shop\nprofile: shop\n", "models/a.sql": "select 1 as x\n"}
			if tt.profiles != "" {
				files["profiles.yml"] = tt.profiles
			}
			writeFiles(t, src, files)
			reg, err := adapter.NewRegistry(tt.engines...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Convert(context.Background(), Options{Src: src, Dst: dst, Engines: reg})
			if err != nil {
				t.Fatal(err)
			}
			var todo []string
			for _, x := range res.Todo {
				todo = append(todo, x.String())
			}
			all := strings.Join(todo, "\n")
			for _, w := range tt.wantTodo {
				if !strings.Contains(all, w) {
					t.Errorf("todo lacks %q:\n%s", w, all)
				}
			}
			if len(tt.want) == 0 {
				return
			}
			prof := read(t, filepath.Join(dst, "profiles.yml"))
			for _, w := range tt.want {
				if !strings.Contains(prof, w) {
					t.Errorf("profiles.yml lacks %q:\n%s", w, prof)
				}
			}
		})
	}
}
