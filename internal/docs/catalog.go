package docs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
)

// CatalogSchema is the dbt artifact schema catalog.json follows.
const CatalogSchema = "https://schemas.getdbt.com/dbt/catalog/v1.json"

// Catalog is dbt's catalog.json: each relation's columns and types as the
// warehouse reports them. Only the schema's fields appear, since readers
// of dbt artifacts reject unknown ones.
type Catalog struct {
	Metadata CatalogMetadata         `json:"metadata"`
	Nodes    map[string]CatalogTable `json:"nodes"`
	Sources  map[string]CatalogTable `json:"sources"`
	Errors   []string                `json:"errors"`
}

// CatalogMetadata heads catalog.json.
type CatalogMetadata struct {
	SchemaVersion string            `json:"dbt_schema_version"`
	Version       string            `json:"dbt_version"`
	GeneratedAt   string            `json:"generated_at"`
	InvocationID  *string           `json:"invocation_id"`
	Env           map[string]string `json:"env"`
}

// CatalogTable is one relation.
type CatalogTable struct {
	Metadata TableMetadata            `json:"metadata"`
	Columns  map[string]CatalogColumn `json:"columns"`
	Stats    map[string]Stat          `json:"stats"`
	ID       string                   `json:"unique_id"`
}

// TableMetadata names the relation and its kind ("BASE TABLE", "VIEW").
type TableMetadata struct {
	Type     string  `json:"type"`
	Schema   string  `json:"schema"`
	Name     string  `json:"name"`
	Database *string `json:"database"`
	Comment  *string `json:"comment"`
	Owner    *string `json:"owner"`
}

// CatalogColumn is a column; Index counts from 1.
type CatalogColumn struct {
	Type    string  `json:"type"`
	Index   int     `json:"index"`
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
}

// Stat is one of dbt's table statistics; ingot records none but the
// "has_stats" marker dbt's readers expect.
type Stat struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Value       any    `json:"value"`
	Include     bool   `json:"include"`
	Description string `json:"description"`
}

// Entry is a relation to look up for the catalog.
type Entry struct {
	ID       string
	Source   bool // goes under "sources"
	Relation adapter.Relation
}

// Describer reports a relation's kind and columns (adapter.Adapter does).
type Describer interface {
	Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error)
}

// BuildCatalog describes each entry's relation. Relations the warehouse
// lacks are left out (nothing built them yet); one that cannot be
// described (a view whose query no longer binds) is recorded in Errors,
// as dbt does, so one broken view does not hide the others.
func BuildCatalog(ctx context.Context, d Describer, entries []Entry, version string, at time.Time) (*Catalog, error) {
	c := &Catalog{
		Metadata: CatalogMetadata{SchemaVersion: CatalogSchema, Version: version, GeneratedAt: at.UTC().Format("2006-01-02T15:04:05.000000Z"), Env: map[string]string{}},
		Nodes:    map[string]CatalogTable{},
		Sources:  map[string]CatalogTable{},
	}
	for _, e := range entries {
		kind, cols, err := d.Describe(ctx, e.Relation)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.Errors = append(c.Errors, fmt.Sprintf("%s (%s): %v", e.ID, e.Relation, err))
			continue
		}
		if kind == adapter.KindNone {
			continue
		}
		t := CatalogTable{
			Metadata: TableMetadata{Type: tableType(kind), Schema: e.Relation.Schema, Name: e.Relation.Name},
			Columns:  make(map[string]CatalogColumn, len(cols)),
			Stats: map[string]Stat{"has_stats": {ID: "has_stats", Label: "Has Stats?", Value: false,
				Description: "Indicates whether there are statistics for this table"}},
			ID: e.ID,
		}
		if e.Relation.Database != "" {
			db := e.Relation.Database
			t.Metadata.Database = &db
		}
		for i, col := range cols {
			t.Columns[col.Name] = CatalogColumn{Type: col.Type, Index: i + 1, Name: col.Name}
		}
		if e.Source {
			c.Sources[e.ID] = t
		} else {
			c.Nodes[e.ID] = t
		}
	}
	return c, nil
}

// tableType spells kind as information_schema.tables.table_type does,
// which is what dbt's catalogs hold.
func tableType(k adapter.Kind) string {
	if k == adapter.KindView {
		return "VIEW"
	}
	return "BASE TABLE"
}

// Columns gives the columns of n's relation as the catalog has them, in
// the warehouse's order; ok is false when the catalog lacks it.
func (c *Catalog) Columns(_ context.Context, n *compile.Node) ([]adapter.Column, bool, error) {
	t, ok := c.Nodes[n.ID]
	if !ok {
		t, ok = c.Sources[n.ID]
	}
	if !ok {
		return nil, false, nil
	}
	cols := make([]adapter.Column, len(t.Columns))
	for _, col := range t.Columns {
		if col.Index < 1 || col.Index > len(cols) {
			return nil, false, fmt.Errorf("catalog entry %s: column %s has index %d of %d", n.ID, col.Name, col.Index, len(cols))
		}
		cols[col.Index-1] = adapter.Column{Name: col.Name, Type: col.Type}
	}
	return cols, true, nil
}

// Write writes the catalog to path (target/catalog.json), replacing the
// file whole.
func (c *Catalog) Write(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return writeFile(path, append(b, '\n'))
}
