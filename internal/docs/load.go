// Package docs builds the project's documentation: target/catalog.json
// (columns and types as the warehouse has them, dbt's catalog v1) and a
// static site under target/docs/ that reads the dbt-shaped artifacts
// (manifest.json, catalog.json, run_results.json) and works offline.
package docs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Site is what the page shows, normalized from the artifacts so the
// browser code does not have to know their several shapes.
type Site struct {
	Project     string `json:"project"`
	Target      string `json:"target,omitempty"`
	Adapter     string `json:"adapter,omitempty"`
	GeneratedAt string `json:"generated_at,omitempty"`
	// RunAt is when the run that wrote run_results.json started.
	RunAt   string `json:"run_at,omitempty"`
	RunCmd  string `json:"run_command,omitempty"`
	Nodes   []Node `json:"nodes"`
	Catalog bool   `json:"has_catalog"`
}

// Node is one model, seed, source, snapshot, test or exposure.
type Node struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	Relation     string   `json:"relation,omitempty"`
	Path         string   `json:"path,omitempty"`
	Materialized string   `json:"materialized,omitempty"`
	Description  string   `json:"description,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	// Parents are the node-level DAG edges, restricted to nodes of the
	// site (a dangling id in the manifest draws nothing).
	Parents []string `json:"parents,omitempty"`
	SQL     string   `json:"sql,omitempty"`
	// SQLKind tells whether SQL is the compiled query, the query the
	// last run executed ("run") or, lacking both, the template source.
	SQLKind string   `json:"sql_kind,omitempty"`
	Status  *Status  `json:"status,omitempty"`
	Columns []Column `json:"columns,omitempty"`
	// Tests are the ids of tests on the node (its columns' included).
	Tests []string `json:"tests,omitempty"`
	// LineageNote says what of the model's column lineage as a whole is
	// not traced (columns a run_query adds at build time).
	LineageNote string `json:"lineage_note,omitempty"`
	// WarehouseType is the relation's kind in the catalog ("BASE TABLE",
	// "VIEW"); empty when the catalog lacks the relation.
	WarehouseType string `json:"warehouse_type,omitempty"`

	// Tests only.
	AttachedTo []string `json:"attached_to,omitempty"`
	Column     string   `json:"column,omitempty"`
	TestName   string   `json:"test_name,omitempty"`
}

// Column merges the manifest's column (description, declared type,
// lineage) with the catalog's (warehouse type and position).
type Column struct {
	Name        string      `json:"name"`
	Type        string      `json:"type,omitempty"`
	Declared    string      `json:"declared_type,omitempty"`
	Description string      `json:"description,omitempty"`
	Tests       []string    `json:"tests,omitempty"`
	Lineage     []ColumnRef `json:"lineage,omitempty"`
	// Note says, for a person, why the column's lineage is unknown.
	Note string `json:"lineage_note,omitempty"`
}

// ColumnRef is a parent column in column-level lineage.
type ColumnRef struct {
	Node   string `json:"node"`
	Column string `json:"column"`
}

// Status is a node's result in the last run.
type Status struct {
	Status    string  `json:"status"`
	Message   string  `json:"message,omitempty"`
	Seconds   float64 `json:"seconds"`
	StartedAt string  `json:"started_at,omitempty"`
	Rows      *int64  `json:"rows,omitempty"`
	Failures  *int64  `json:"failures,omitempty"`
}

// Lineage keys in a manifest column's meta (the lineage package writes
// them).
const (
	lineageKey     = "ingot_lineage"
	lineageNoteKey = "ingot_lineage_note"
)

// The artifacts' shapes, read leniently: dbt's v12 manifest and v6 run
// results, and the older ingot shapes (depends_on as a list,
// attached_node as a list, started_at on the result).

type rawManifest struct {
	Metadata  map[string]any          `json:"metadata"`
	Nodes     map[string]rawNode      `json:"nodes"`
	Sources   map[string]rawNode      `json:"sources"`
	Exposures map[string]rawNode      `json:"exposures"`
	UnitTests map[string]rawNode      `json:"unit_tests"`
	ParentMap map[string]stringsOrOne `json:"parent_map"`
}

type rawNode struct {
	ID           string               `json:"unique_id"`
	Name         string               `json:"name"`
	Type         string               `json:"resource_type"`
	SourceName   string               `json:"source_name"`
	Label        string               `json:"label"`
	Relation     string               `json:"relation_name"`
	Schema       string               `json:"schema"`
	Identifier   string               `json:"identifier"`
	Path         string               `json:"original_file_path"`
	Materialized string               `json:"materialized"`
	Config       map[string]any       `json:"config"`
	Description  string               `json:"description"`
	Tags         []string             `json:"tags"`
	DependsOn    dependsOn            `json:"depends_on"`
	Columns      map[string]rawColumn `json:"columns"`
	CompiledCode string               `json:"compiled_code"`
	CompiledSQL  string               `json:"compiled_sql"`
	RawCode      string               `json:"raw_code"`
	ColumnName   string               `json:"column_name"`
	Meta         struct {
		Ingot struct {
			LineageNote string `json:"lineage_note"`
		} `json:"ingot"`
	} `json:"meta"`
	AttachedNode stringsOrOne `json:"attached_node"`
	TestMetadata *struct {
		Name   string         `json:"name"`
		Kwargs map[string]any `json:"kwargs"`
	} `json:"test_metadata"`
}

type rawColumn struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	DataType    string                     `json:"data_type"`
	Meta        map[string]json.RawMessage `json:"meta"`
}

// dependsOn reads dbt's {"nodes": [...], "macros": [...]} and a plain list.
type dependsOn []string

func (d *dependsOn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("[")) {
		return json.Unmarshal(b, (*[]string)(d))
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var o struct {
		Nodes []string `json:"nodes"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*d = o.Nodes
	return nil
}

// stringsOrOne reads a list of strings or one string (dbt's
// attached_node is one id; ingot wrote a list).
type stringsOrOne []string

func (s *stringsOrOne) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case bytes.HasPrefix(b, []byte("[")):
		return json.Unmarshal(b, (*[]string)(s))
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	if one != "" {
		*s = []string{one}
	}
	return nil
}

type rawCatalog struct {
	Nodes   map[string]rawCatalogTable `json:"nodes"`
	Sources map[string]rawCatalogTable `json:"sources"`
}

type rawCatalogTable struct {
	Metadata struct {
		Type string `json:"type"`
	} `json:"metadata"`
	Columns map[string]struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Index int    `json:"index"`
	} `json:"columns"`
}

type rawRunResults struct {
	Metadata struct {
		GeneratedAt string `json:"generated_at"`
		Command     string `json:"command"`
	} `json:"metadata"`
	Args    map[string]any `json:"args"`
	Results []struct {
		ID            string  `json:"unique_id"`
		Status        string  `json:"status"`
		Message       string  `json:"message"`
		ExecutionTime float64 `json:"execution_time"`
		StartedAt     string  `json:"started_at"`
		RowsAffected  *int64  `json:"rows_affected"`
		Failures      *int64  `json:"failures"`
		CompiledCode  string  `json:"compiled_code"`
		AdapterResp   struct {
			RowsAffected *int64 `json:"rows_affected"`
		} `json:"adapter_response"`
		Timing []struct {
			Name      string `json:"name"`
			StartedAt string `json:"started_at"`
		} `json:"timing"`
	} `json:"results"`
}

// Load reads manifest.json, and catalog.json and run_results.json when
// they exist, from the target folder dir. compiled is SQL the command
// generating the docs has just rendered with the warehouse at hand (so
// run_query had rows); it wins over the manifest's compiled_code.
func Load(dir string, compiled map[string]string) (*Site, error) {
	var m rawManifest
	if err := readJSON(dir, "manifest.json", &m, true); err != nil {
		return nil, err
	}
	var cat rawCatalog
	if err := readJSON(dir, "catalog.json", &cat, false); err != nil {
		return nil, err
	}
	var rr rawRunResults
	if err := readJSON(dir, "run_results.json", &rr, false); err != nil {
		return nil, err
	}
	return build(m, cat, rr, compiled), nil
}

// readJSON decodes dir/name into v; a missing optional file leaves v
// alone.
func readJSON(dir, name string, v any, required bool) error {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such file: run ingot parse, compile or build first", path)
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %s; remove it and run the command that writes it again", path, jsonProblem(b, err))
	}
	return nil
}

// jsonProblem turns a decoding error into "line L, column C: why".
func jsonProblem(b []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return err.Error()
	}
	// The offset is past the offending byte.
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

func build(m rawManifest, cat rawCatalog, rr rawRunResults, compiled map[string]string) *Site {
	s := &Site{Catalog: cat.Nodes != nil || cat.Sources != nil}
	s.Project = metaString(m.Metadata, "project_name")
	s.Target = metaString(m.Metadata, "target_name")
	if env, ok := m.Metadata["env"].(map[string]any); ok && s.Target == "" {
		s.Target = metaString(env, "INGOT_TARGET_NAME")
	}
	s.Adapter = metaString(m.Metadata, "adapter_type")
	s.GeneratedAt = metaString(m.Metadata, "generated_at")
	s.RunAt, s.RunCmd = rr.Metadata.GeneratedAt, rr.Metadata.Command

	raw := map[string]rawNode{}
	for _, group := range []map[string]rawNode{m.Nodes, m.Sources, m.Exposures, m.UnitTests} {
		for id, n := range group {
			if n.ID == "" {
				n.ID = id
			}
			raw[n.ID] = n
		}
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	status := map[string]*Status{}
	ran := map[string]string{} // the SQL each node ran in the last run
	for _, r := range rr.Results {
		ran[r.ID] = r.CompiledCode
		st := &Status{Status: r.Status, Message: r.Message, Seconds: r.ExecutionTime, StartedAt: r.StartedAt,
			Rows: r.RowsAffected, Failures: r.Failures}
		if st.Rows == nil {
			st.Rows = r.AdapterResp.RowsAffected
		}
		if st.StartedAt == "" {
			for _, t := range r.Timing {
				if t.Name == "execute" || st.StartedAt == "" {
					st.StartedAt = t.StartedAt
				}
			}
		}
		status[r.ID] = st
	}

	index := map[string]int{}
	for _, id := range ids {
		rn := raw[id]
		n := Node{ID: id, Name: rn.Name, Type: nodeType(id, rn), Relation: plainRelation(rn.Relation), Path: rn.Path,
			Description: rn.Description, Tags: rn.Tags, Status: status[id], LineageNote: rn.Meta.Ingot.LineageNote}
		if n.Type == "source" && rn.SourceName != "" {
			n.Name = rn.SourceName + "." + rn.Name
		}
		if n.Type == "exposure" && rn.Label != "" && n.Description == "" {
			n.Description = rn.Label
		}
		n.Materialized = rn.Materialized
		if n.Materialized == "" {
			if v, ok := rn.Config["materialized"].(string); ok {
				n.Materialized = v
			}
		}
		n.SQL, n.SQLKind = compiled[id], "compiled"
		if n.SQL == "" {
			n.SQL = rn.CompiledCode
		}
		if n.SQL == "" {
			n.SQL = rn.CompiledSQL
		}
		if n.SQL == "" && ran[id] != "" {
			// tests: the manifest has no compiled query, the run kept it
			n.SQL, n.SQLKind = ran[id], "run"
		}
		if n.SQL == "" && rn.RawCode != "" {
			n.SQL, n.SQLKind = rn.RawCode, "source"
		}
		if n.SQL == "" {
			n.SQLKind = ""
		}
		parents := append(append([]string{}, rn.DependsOn...), m.ParentMap[id]...)
		n.Parents = uniqueKnown(parents, raw, id)
		if n.Type == "unit_test" {
			// a unit test tests its model as a whole: listed with the tests
			n.Type, n.TestName = "test", "unit test"
		}
		if n.Type == "test" {
			n.AttachedTo = uniqueKnown(rn.AttachedNode, raw, id)
			if len(n.AttachedTo) == 0 {
				n.AttachedTo = n.Parents
			}
			n.Column = rn.ColumnName
			if rn.TestMetadata != nil {
				n.TestName = rn.TestMetadata.Name
				if n.Column == "" {
					n.Column, _ = rn.TestMetadata.Kwargs["column_name"].(string)
				}
			}
		}
		var table *rawCatalogTable
		if t, ok := cat.Nodes[id]; ok {
			table = &t
		} else if t, ok := cat.Sources[id]; ok {
			table = &t
		}
		n.Columns = columns(rn.Columns, table)
		if table != nil {
			n.WarehouseType = table.Metadata.Type
		}
		index[id] = len(s.Nodes)
		s.Nodes = append(s.Nodes, n)
	}

	// Tests hang on the nodes (and columns) they test.
	for _, t := range s.Nodes {
		if t.Type != "test" {
			continue
		}
		for _, p := range t.AttachedTo {
			n := &s.Nodes[index[p]]
			n.Tests = append(n.Tests, t.ID)
			if t.Column == "" {
				continue
			}
			for i := range n.Columns {
				if strings.EqualFold(n.Columns[i].Name, t.Column) {
					n.Columns[i].Tests = append(n.Columns[i].Tests, t.ID)
				}
			}
		}
	}
	return s
}

func metaString(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// nodeType is the resource type, from the id's prefix when the entry
// lacks it.
func nodeType(id string, n rawNode) string {
	if n.Type != "" {
		return n.Type
	}
	t, _, _ := strings.Cut(id, ".")
	return t
}

// uniqueKnown keeps the ids of ids that are nodes of the site, once each,
// in order, without self.
func uniqueKnown(ids []string, raw map[string]rawNode, self string) []string {
	var out []string
	seen := map[string]bool{self: true}
	for _, id := range ids {
		if _, ok := raw[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// columns lists the warehouse's columns in their order, then declared
// columns the warehouse lacks, merging what each side knows.
func columns(declared map[string]rawColumn, table *rawCatalogTable) []Column {
	var out []Column
	used := map[string]bool{}
	byLower := map[string]string{}
	for key, c := range declared {
		name := c.Name
		if name == "" {
			name = key
		}
		byLower[strings.ToLower(name)] = key
	}
	fill := func(col *Column, key string) {
		c := declared[key]
		col.Declared, col.Description = c.DataType, c.Description
		if b, ok := c.Meta[lineageKey]; ok {
			_ = json.Unmarshal(b, &col.Lineage) // a malformed entry shows as no lineage
		}
		if b, ok := c.Meta[lineageNoteKey]; ok {
			_ = json.Unmarshal(b, &col.Note)
		}
	}
	if table != nil {
		type wc struct {
			name, typ string
			index     int
		}
		var wcs []wc
		for key, c := range table.Columns {
			name := c.Name
			if name == "" {
				name = key
			}
			wcs = append(wcs, wc{name, c.Type, c.Index})
		}
		sort.Slice(wcs, func(i, k int) bool {
			if wcs[i].index != wcs[k].index {
				return wcs[i].index < wcs[k].index
			}
			return wcs[i].name < wcs[k].name
		})
		for _, w := range wcs {
			col := Column{Name: w.name, Type: w.typ}
			if key, ok := byLower[strings.ToLower(w.name)]; ok {
				fill(&col, key)
				used[key] = true
			}
			out = append(out, col)
		}
	}
	var rest []string
	for key := range declared {
		if !used[key] {
			rest = append(rest, key)
		}
	}
	// The manifest's map has no column order: by name.
	sort.Strings(rest)
	for _, key := range rest {
		name := declared[key].Name
		if name == "" {
			name = key
		}
		col := Column{Name: name}
		fill(&col, key)
		col.Type = col.Declared
		out = append(out, col)
	}
	return out
}

// plainRelation drops the quotes of relation_name's simple identifiers
// ("gold"."orders" reads gold.orders); parts that need them keep them.
func plainRelation(rel string) string {
	var parts []string
	for rest := rel; rest != ""; {
		var part string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) {
				if rest[end] == '"' {
					if end+1 < len(rest) && rest[end+1] == '"' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			if end >= len(rest) {
				return rel // unbalanced: show it as written
			}
			part, rest = rest[:end+1], rest[end+1:]
			if inner := part[1 : len(part)-1]; simpleIdent(inner) {
				part = inner
			}
		} else {
			i := strings.IndexByte(rest, '.')
			if i < 0 {
				i = len(rest)
			}
			part, rest = rest[:i], rest[i:]
		}
		parts = append(parts, part)
		if rest != "" {
			if rest[0] != '.' {
				return rel
			}
			rest = rest[1:]
		}
	}
	return strings.Join(parts, ".")
}

func simpleIdent(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z':
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return s != ""
}
