package docs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
)

// fakeWarehouse describes relations from a map; a relation named
// "broken" fails as a view whose query no longer binds does.
type fakeWarehouse map[string]struct {
	kind adapter.Kind
	cols []adapter.Column
}

func (f fakeWarehouse) Describe(_ context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	if r.Name == "broken" {
		return adapter.KindView, nil, errors.New("describing gold.broken: Binder Error: column x not found")
	}
	d := f[r.String()]
	return d.kind, d.cols, nil
}

func TestBuildCatalog(t *testing.T) {
	wh := fakeWarehouse{
		"gold.orders":   {adapter.KindTable, []adapter.Column{{Name: "order_id", Type: "INTEGER"}, {Name: "amount", Type: "DECIMAL(18,2)"}}},
		"silver.stg":    {adapter.KindView, []adapter.Column{{Name: "id", Type: "integer"}}},
		"lake.erp.pays": {adapter.KindTable, []adapter.Column{{Name: "amount", Type: "numeric"}}},
	}
	entries := []Entry{
		{ID: "model.gold.orders", Relation: adapter.Relation{Schema: "gold", Name: "orders"}},
		{ID: "model.silver.stg", Relation: adapter.Relation{Schema: "silver", Name: "stg"}},
		{ID: "model.gold.unbuilt", Relation: adapter.Relation{Schema: "gold", Name: "unbuilt"}},
		{ID: "model.gold.broken", Relation: adapter.Relation{Schema: "gold", Name: "broken"}},
		{ID: "source.erp.pays", Source: true, Relation: adapter.Relation{Database: "lake", Schema: "erp", Name: "pays"}},
	}
	at := time.Date(2024, 5, 28, 12, 0, 0, 0, time.FixedZone("BRT", -3*3600))
	c, err := BuildCatalog(context.Background(), wh, entries, "0.1.0", at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.SchemaVersion != CatalogSchema || c.Metadata.GeneratedAt != "2024-05-28T15:00:00.000000Z" {
		t.Errorf("metadata = %+v", c.Metadata)
	}
	if len(c.Nodes) != 2 || len(c.Sources) != 1 {
		t.Fatalf("nodes %v sources %v, want orders and stg, and pays", keys(c.Nodes), keys(c.Sources))
	}
	o := c.Nodes["model.gold.orders"]
	want := map[string]CatalogColumn{"order_id": {Type: "INTEGER", Index: 1, Name: "order_id"}, "amount": {Type: "DECIMAL(18,2)", Index: 2, Name: "amount"}}
	if o.ID != "model.gold.orders" || o.Metadata.Type != "BASE TABLE" || o.Metadata.Schema != "gold" || o.Metadata.Name != "orders" || !reflect.DeepEqual(o.Columns, want) {
		t.Errorf("orders = %+v", o)
	}
	if v := c.Nodes["model.silver.stg"]; v.Metadata.Type != "VIEW" || v.Columns["id"].Type != "integer" {
		t.Errorf("stg = %+v: want a VIEW with the engine's own spelling of types", v)
	}
	if s := c.Sources["source.erp.pays"]; s.Metadata.Database == nil || *s.Metadata.Database != "lake" {
		t.Errorf("source database = %v", s.Metadata.Database)
	}
	if len(c.Errors) != 1 || !strings.Contains(c.Errors[0], "model.gold.broken (gold.broken): ") || !strings.Contains(c.Errors[0], "Binder Error") {
		t.Errorf("errors = %q", c.Errors)
	}

	// dbt's readers reject unknown keys: only catalog v1's appear.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	json.Unmarshal(b, &top)
	if got := keys(top); !reflect.DeepEqual(got, []string{"errors", "metadata", "nodes", "sources"}) {
		t.Errorf("top-level keys = %v", got)
	}
	var table map[string]map[string]json.RawMessage
	json.Unmarshal(top["nodes"], &table)
	if got := keys(table["model.gold.orders"]); !reflect.DeepEqual(got, []string{"columns", "metadata", "stats", "unique_id"}) {
		t.Errorf("table keys = %v", got)
	}
}

// Cancelling stops the catalog rather than recording every relation as
// an error.
func TestBuildCatalogCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := BuildCatalog(ctx, cancelled{}, []Entry{{ID: "model.a.b"}}, "0", time.Now())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type cancelled struct{}

func (cancelled) Describe(ctx context.Context, _ adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	return adapter.KindNone, nil, ctx.Err()
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func TestCatalogColumns(t *testing.T) {
	c := &Catalog{
		Nodes: map[string]CatalogTable{"seed.s.a": {Columns: map[string]CatalogColumn{
			"b": {Name: "b", Type: "VARCHAR", Index: 2}, "a": {Name: "a", Type: "INTEGER", Index: 1}}}},
		Sources: map[string]CatalogTable{"source.x.y": {Columns: map[string]CatalogColumn{"z": {Name: "z", Type: "DATE", Index: 1}}},
			"source.x.bad": {Columns: map[string]CatalogColumn{"z": {Name: "z", Type: "DATE", Index: 3}}}},
	}
	ctx := context.Background()
	cols, ok, err := c.Columns(ctx, &compile.Node{ID: "seed.s.a"})
	if err != nil || !ok || !reflect.DeepEqual(cols, []adapter.Column{{Name: "a", Type: "INTEGER"}, {Name: "b", Type: "VARCHAR"}}) {
		t.Errorf("seed columns = %v %v %v, want a, b in index order", cols, ok, err)
	}
	if cols, ok, err := c.Columns(ctx, &compile.Node{ID: "source.x.y"}); err != nil || !ok || len(cols) != 1 {
		t.Errorf("source columns = %v %v %v", cols, ok, err)
	}
	if _, ok, err := c.Columns(ctx, &compile.Node{ID: "model.m.unbuilt"}); ok || err != nil {
		t.Errorf("unbuilt relation: ok %v err %v, want not ok and no error", ok, err)
	}
	if _, _, err := c.Columns(ctx, &compile.Node{ID: "source.x.bad"}); err == nil || !strings.Contains(err.Error(), "source.x.bad") {
		t.Errorf("bad index: err %v, want one naming the entry", err)
	}
}

// Tools reading dbt's artifacts load the catalog: checked with the PyPI
// package dbt-artifacts-parser, in the interpreter the artifacts tests use
// ($INGOT_DBT_ARTIFACTS_PYTHON, which CI sets, else python3).
func TestCatalogParsesAsDBT(t *testing.T) {
	py := os.Getenv("INGOT_DBT_ARTIFACTS_PYTHON")
	if py == "" {
		py = "python3"
	}
	// Only the catalog's model: the package's parse_* entry point imports
	// every artifact's schema, half a minute on a busy machine.
	const load = "from dbt_artifacts_parser.parsers.catalog.catalog_v1 import CatalogV1"
	if out, err := exec.Command(py, "-c", load).CombinedOutput(); err != nil {
		msg := "python with dbt-artifacts-parser is needed (pip install dbt-artifacts-parser): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	wh := fakeWarehouse{"gold.orders": {adapter.KindTable, []adapter.Column{{Name: "order_id", Type: "INTEGER"}}}}
	c, err := BuildCatalog(context.Background(), wh, []Entry{
		{ID: "model.gold.orders", Relation: adapter.Relation{Schema: "gold", Name: "orders"}},
		{ID: "model.gold.broken", Relation: adapter.Relation{Schema: "gold", Name: "broken"}},
	}, "0.1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	path := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", load+`
import json, sys
c = CatalogV1(**json.load(open(sys.argv[1])))
print(type(c).__name__, sorted(c.nodes), c.nodes["model.gold.orders"].columns["order_id"].type, len(c.errors))`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("dbt-artifacts-parser rejects the catalog: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "CatalogV1 ['model.gold.orders'] INTEGER 1" {
		t.Errorf("parsed catalog = %q", got)
	}
}
