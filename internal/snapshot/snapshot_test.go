package snapshot

import (
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestParseConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg     map[string]any
		wantErr string
		want    Config
	}{
		{cfg: map[string]any{"strategy": "timestamp", "updated_at": "u"}, wantErr: "needs unique_key"},
		{cfg: map[string]any{"unique_key": "id"}, wantErr: "needs strategy"},
		{cfg: map[string]any{"unique_key": "id", "strategy": "timestamp"}, wantErr: "needs updated_at"},
		{cfg: map[string]any{"unique_key": "id", "strategy": "check"}, wantErr: "needs check_cols"},
		{cfg: map[string]any{"unique_key": "id", "strategy": "latest"}, wantErr: `unknown snapshot strategy "latest"`},
		{cfg: map[string]any{"unique_key": "id", "strategy": "check", "check_cols": "all", "hard_deletes": "drop"}, wantErr: "hard_deletes must be"},
		{cfg: map[string]any{"unique_key": []any{"a", "b"}, "strategy": "check", "check_cols": "all", "invalidate_hard_deletes": true},
			want: Config{UniqueKey: []string{"a", "b"}, Strategy: "check", HardDeletes: "invalidate"}},
		{cfg: map[string]any{"unique_key": "id", "strategy": "timestamp", "updated_at": "u"},
			want: Config{UniqueKey: []string{"id"}, Strategy: "timestamp", UpdatedAt: "u", HardDeletes: "ignore"}},
	} {
		got, err := ParseConfig(func(k string) any { return tt.cfg[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.cfg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got.UniqueKey, ",") != strings.Join(tt.want.UniqueKey, ",") || got.Strategy != tt.want.Strategy ||
			got.UpdatedAt != tt.want.UpdatedAt || got.HardDeletes != tt.want.HardDeletes || len(got.CheckCols) != 0 {
			t.Errorf("%v: got %+v, %v; want %+v", tt.cfg, got, err, tt.want)
		}
	}
}

func TestBuildChecksColumns(t *testing.T) {
	cfg := Config{UniqueKey: []string{"id"}, Strategy: "timestamp", UpdatedAt: "changed_at", HardDeletes: "ignore"}
	in := Input{Relation: adapter.Relation{Schema: "snapshots", Name: "s"}, Query: "select 1", Now: time.Unix(0, 0),
		Source: []adapter.Column{{Name: "id"}, {Name: "updated_at"}}}
	if _, err := Build(cfg, in); err == nil || !strings.Contains(err.Error(), `column "changed_at"`) {
		t.Errorf("missing updated_at column: %v", err)
	}
	in.Source = append(in.Source, adapter.Column{Name: "changed_at"}, adapter.Column{Name: ColValidTo})
	if _, err := Build(cfg, in); err == nil || !strings.Contains(err.Error(), "dbt_valid_to, which the snapshot adds") {
		t.Errorf("meta column in the query: %v", err)
	}
	in.Source = in.Source[:3]
	p, err := Build(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	// first run: staging, the empty table, the insert, the cleanup
	if len(p.Statements) != 5 || !strings.HasPrefix(p.Statements[2], `create table "snapshots"."s"`) || p.Kinds[3] != "inserted" {
		t.Errorf("first run plan:\n%s", strings.Join(p.Statements, "\n---\n"))
	}
	in.Existing = []adapter.Column{{Name: "id"}, {Name: "changed_at"}}
	in.Source[1].Type = ""
	if _, err := Build(cfg, in); err == nil || !strings.Contains(err.Error(), "gained column updated_at of unknown type") {
		t.Errorf("new column without a type: %v", err)
	}
}

// Names are written in the target's dialect, the relation's catalog
// included, as compile writes refs.
func TestBuildQuotesInTheDialect(t *testing.T) {
	cfg := Config{UniqueKey: []string{"id"}, Strategy: "check", CheckCols: []string{"v"}, HardDeletes: "ignore"}
	in := Input{Relation: adapter.Relation{Database: "lake", Schema: "snap", Name: "s"}, Query: "select 1", Now: time.Unix(0, 0),
		Source: []adapter.Column{{Name: "id"}, {Name: "v"}}, Dialect: adapter.Dialect{QuoteChar: "`"}}
	p, err := Build(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(p.Statements, "\n")
	for _, want := range []string{"create table `lake`.`snap`.`s`", "`dbt_valid_to`"} {
		if !strings.Contains(all, want) {
			t.Errorf("statements lack %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, `"`) {
		t.Errorf("a name quoted with \" in a dialect quoting with `:\n%s", all)
	}
}
