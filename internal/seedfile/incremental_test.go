package seedfile

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestPlan(t *testing.T) {
	root := t.TempDir()
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	seed := func(fps map[string]string) adapter.Seed {
		s := adapter.Seed{Relation: adapter.Relation{Schema: "seeds", Name: "ev"}, Root: root, Fingerprints: map[string]string{}}
		for _, rel := range []string{"seeds/ev/a.json", "seeds/ev/b.json", "seeds/ev/c.json"} {
			if fp, ok := fps[rel]; ok {
				s.Files = append(s.Files, abs(rel))
				s.Fingerprints[abs(rel)] = fp
			}
		}
		return s
	}
	tests := []struct {
		name    string
		now     map[string]string
		loaded  map[string]string
		load    []string
		plan    FilePlan // New, Changed, Removed, Unchanged
		del     []string
		msg     string
		wantErr string
	}{
		{name: "first load", now: map[string]string{"seeds/ev/a.json": "1", "seeds/ev/b.json": "1"},
			load: []string{"seeds/ev/a.json", "seeds/ev/b.json"},
			plan: FilePlan{New: []string{"seeds/ev/a.json", "seeds/ev/b.json"}},
			msg:  "INSERT 7 (2 files new)"},
		{name: "nothing changed", now: map[string]string{"seeds/ev/a.json": "1"}, loaded: map[string]string{"seeds/ev/a.json": "1"},
			plan: FilePlan{Unchanged: []string{"seeds/ev/a.json"}}, msg: "INSERT 7 (1 file unchanged)"},
		{name: "new, changed, removed, unchanged",
			now:    map[string]string{"seeds/ev/a.json": "1", "seeds/ev/b.json": "2", "seeds/ev/c.json": "1"},
			loaded: map[string]string{"seeds/ev/a.json": "1", "seeds/ev/b.json": "1", "seeds/ev/gone.json": "1"},
			load:   []string{"seeds/ev/b.json", "seeds/ev/c.json"},
			plan: FilePlan{New: []string{"seeds/ev/c.json"}, Changed: []string{"seeds/ev/b.json"},
				Removed: []string{"seeds/ev/gone.json"}, Unchanged: []string{"seeds/ev/a.json"}},
			del: []string{"seeds/ev/b.json", "seeds/ev/gone.json"},
			msg: "DELETE 3, INSERT 7 (1 file new, 1 file changed, 1 file removed, 1 file unchanged)"},
		{name: "missing fingerprint", now: map[string]string{"seeds/ev/a.json": ""}, wantErr: "no fingerprint for seeds/ev/a.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Plan(seed(tt.now), tt.loaded)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var load []string
			for _, f := range p.Load {
				load = append(load, f.Rel)
				if f.Path != abs(f.Rel) || f.Fingerprint != tt.now[f.Rel] {
					t.Errorf("load %+v", f)
				}
			}
			if !reflect.DeepEqual(load, tt.load) {
				t.Errorf("load %q, want %q", load, tt.load)
			}
			got := FilePlan{New: p.New, Changed: p.Changed, Removed: p.Removed, Unchanged: p.Unchanged}
			if !reflect.DeepEqual(got, tt.plan) {
				t.Errorf("plan %+v, want %+v", got, tt.plan)
			}
			if del := p.Delete(); !reflect.DeepEqual(del, tt.del) && (len(del) > 0 || len(tt.del) > 0) {
				t.Errorf("delete %q, want %q", del, tt.del)
			}
			deleted := int64(0)
			if len(tt.del) > 0 {
				deleted = 3
			}
			if m := p.Message(7, deleted); m != tt.msg {
				t.Errorf("message %q, want %q", m, tt.msg)
			}
			if len(p.Files) != len(tt.now) {
				t.Errorf("files %+v", p.Files)
			}
		})
	}
}

func TestCheckColumns(t *testing.T) {
	r := adapter.Relation{Schema: "seeds", Name: "ev"}
	table := []adapter.Column{{Name: "n", Type: "BIGINT"}, {Name: "tag", Type: "VARCHAR"}, {Name: "_source_file", Type: "VARCHAR"}}
	tests := []struct {
		name    string
		files   []adapter.Column
		norm    func(string) string
		wantErr string
	}{
		{name: "same", files: table},
		{name: "fewer columns, other order, other case", files: []adapter.Column{{Name: "_SOURCE_FILE", Type: "VARCHAR"}, {Name: "N", Type: "bigint"}}},
		{name: "new column", files: []adapter.Column{{Name: "n", Type: "BIGINT"}, {Name: "x", Type: "DATE"}},
			wantErr: "the new or changed files do not fit the existing table seeds.ev: new column x DATE; load the seed whole with --full-refresh"},
		{name: "other type", files: []adapter.Column{{Name: "n", Type: "DOUBLE"}},
			wantErr: "column n is DOUBLE in the new files, BIGINT in the table"},
		{name: "types equal after norm", files: []adapter.Column{{Name: "n", Type: "int8"}},
			norm: func(s string) string { return strings.NewReplacer("int8", "bigint").Replace(strings.ToLower(s)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckColumns(r, table, tt.files, tt.norm)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %s", err, tt.wantErr)
			}
		})
	}
}
