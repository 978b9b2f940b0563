package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/lineage"
	"github.com/ingot-dev/ingot/internal/project"
)

// ManifestSchema is the dbt artifact schema manifest.json follows, so that
// tools reading dbt's artifacts (docs sites, catalogs, CI bots) load it.
const ManifestSchema = "https://schemas.getdbt.com/dbt/manifest/v12.json"

// The manifest, in dbt's manifest v12 shape. The schema forbids keys of
// its own at most levels; what only ingot needs lives under a node's
// meta["ingot"] (free-form there) and under metadata.env.
type manifestJSON struct {
	Metadata       manifestMeta             `json:"metadata"`
	Nodes          map[string]*nodeJSON     `json:"nodes"`
	Sources        map[string]*sourceJSON   `json:"sources"`
	Macros         map[string]*macroJSON    `json:"macros"`
	Docs           map[string]*docJSON      `json:"docs"`
	Exposures      map[string]*exposureJSON `json:"exposures"`
	Metrics        map[string]any           `json:"metrics"`
	Groups         map[string]any           `json:"groups"`
	Selectors      map[string]any           `json:"selectors"`
	Disabled       map[string][]any         `json:"disabled"`
	ParentMap      map[string][]string      `json:"parent_map"`
	ChildMap       map[string][]string      `json:"child_map"`
	GroupMap       map[string][]string      `json:"group_map"`
	SavedQueries   map[string]any           `json:"saved_queries"`
	SemanticModels map[string]any           `json:"semantic_models"`
	UnitTests      map[string]*unitTestJSON `json:"unit_tests"`
}

type manifestMeta struct {
	SchemaVersion string            `json:"dbt_schema_version"`
	Version       string            `json:"dbt_version"`
	GeneratedAt   string            `json:"generated_at"`
	InvocationID  string            `json:"invocation_id"`
	Env           map[string]string `json:"env"`
	Project       string            `json:"project_name"`
	AdapterType   string            `json:"adapter_type"`
	RunStartedAt  string            `json:"run_started_at"`
}

type checksumJSON struct {
	Name     string `json:"name"`
	Checksum string `json:"checksum"`
}

type refJSON struct {
	Name    string  `json:"name"`
	Package *string `json:"package"`
	Version *string `json:"version"`
}

type dependsOnJSON struct {
	Macros []string  `json:"macros"`
	Nodes  *[]string `json:"nodes,omitempty"` // seeds' depends_on has no nodes
}

type docsJSON struct {
	Show bool `json:"show"`
}

// DeclaredKey is the column meta key that is false on a column lineage
// added to the manifest, which no yml declares.
const DeclaredKey = "ingot_declared"

// columnJSON is a column entry; meta["ingot_lineage"] and
// meta["ingot_lineage_note"] carry its lineage when it was computed.
type columnJSON struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Meta        map[string]any `json:"meta"`
	DataType    *string        `json:"data_type"`
	Constraints []any          `json:"constraints"`
	Quote       *bool          `json:"quote"`
	Tags        []string       `json:"tags"`
}

type contractJSON struct {
	Enforced   bool    `json:"enforced"`
	AliasTypes bool    `json:"alias_types"`
	Checksum   *string `json:"checksum"`
}

type testMetaJSON struct {
	Name      string         `json:"name"`
	Kwargs    map[string]any `json:"kwargs"`
	Namespace *string        `json:"namespace"`
}

// nodeJSON is a model, seed, snapshot or data test. Pointer fields are
// present only for the kinds whose schema has them (a seed has no refs,
// language or compiled code).
type nodeJSON struct {
	Database         *string                `json:"database"`
	Schema           string                 `json:"schema"`
	Name             string                 `json:"name"`
	ResourceType     string                 `json:"resource_type"`
	PackageName      string                 `json:"package_name"`
	Path             string                 `json:"path"`
	OriginalFilePath string                 `json:"original_file_path"`
	UniqueID         string                 `json:"unique_id"`
	FQN              []string               `json:"fqn"`
	Alias            string                 `json:"alias"`
	Checksum         checksumJSON           `json:"checksum"`
	Config           map[string]any         `json:"config"`
	Tags             []string               `json:"tags"`
	Description      string                 `json:"description"`
	Columns          map[string]*columnJSON `json:"columns"`
	Meta             map[string]any         `json:"meta"`
	Docs             docsJSON               `json:"docs"`
	PatchPath        *string                `json:"patch_path"`
	RelationName     *string                `json:"relation_name"`
	RawCode          string                 `json:"raw_code"`
	Language         string                 `json:"language,omitempty"`
	Refs             *[]refJSON             `json:"refs,omitempty"`
	Sources          *[][]string            `json:"sources,omitempty"`
	Metrics          *[][]string            `json:"metrics,omitempty"`
	DependsOn        dependsOnJSON          `json:"depends_on"`
	Compiled         *bool                  `json:"compiled,omitempty"`
	CompiledCode     *string                `json:"compiled_code,omitempty"`
	Contract         *contractJSON          `json:"contract,omitempty"`
	ColumnName       *string                `json:"column_name,omitempty"`
	AttachedNode     *string                `json:"attached_node,omitempty"`
	TestMetadata     *testMetaJSON          `json:"test_metadata,omitempty"`
}

type sourceJSON struct {
	Database          *string                `json:"database"`
	Schema            string                 `json:"schema"`
	Name              string                 `json:"name"`
	ResourceType      string                 `json:"resource_type"`
	PackageName       string                 `json:"package_name"`
	Path              string                 `json:"path"`
	OriginalFilePath  string                 `json:"original_file_path"`
	UniqueID          string                 `json:"unique_id"`
	FQN               []string               `json:"fqn"`
	SourceName        string                 `json:"source_name"`
	SourceDescription string                 `json:"source_description"`
	Loader            string                 `json:"loader"`
	Identifier        string                 `json:"identifier"`
	LoadedAtField     *string                `json:"loaded_at_field"`
	Freshness         *freshnessJSON         `json:"freshness"`
	Description       string                 `json:"description"`
	Columns           map[string]*columnJSON `json:"columns"`
	Meta              map[string]any         `json:"meta"`
	SourceMeta        map[string]any         `json:"source_meta"`
	Tags              []string               `json:"tags"`
	Config            map[string]any         `json:"config"`
	PatchPath         *string                `json:"patch_path"`
	RelationName      string                 `json:"relation_name"`
}

type afterJSON struct {
	Count  *int    `json:"count"`
	Period *string `json:"period"`
}

type freshnessJSON struct {
	WarnAfter  *afterJSON `json:"warn_after"`
	ErrorAfter *afterJSON `json:"error_after"`
	Filter     *string    `json:"filter"`
}

type macroJSON struct {
	Name             string         `json:"name"`
	ResourceType     string         `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         string         `json:"unique_id"`
	MacroSQL         string         `json:"macro_sql"`
	DependsOn        dependsOnJSON  `json:"depends_on"`
	Description      string         `json:"description"`
	Meta             map[string]any `json:"meta"`
	Docs             docsJSON       `json:"docs"`
	Arguments        []any          `json:"arguments"`
}

type docJSON struct {
	Name             string `json:"name"`
	ResourceType     string `json:"resource_type"`
	PackageName      string `json:"package_name"`
	Path             string `json:"path"`
	OriginalFilePath string `json:"original_file_path"`
	UniqueID         string `json:"unique_id"`
	BlockContents    string `json:"block_contents"`
}

type exposureJSON struct {
	Name             string         `json:"name"`
	ResourceType     string         `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         string         `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Type             string         `json:"type"`
	Owner            map[string]any `json:"owner"`
	Description      string         `json:"description"`
	Label            *string        `json:"label"`
	Maturity         *string        `json:"maturity"`
	Meta             map[string]any `json:"meta"`
	Tags             []string       `json:"tags"`
	Config           map[string]any `json:"config"`
	URL              *string        `json:"url"`
	DependsOn        dependsOnJSON  `json:"depends_on"`
	Refs             []refJSON      `json:"refs"`
	Sources          [][]string     `json:"sources"`
	Metrics          [][]string     `json:"metrics"`
}

type fixtureJSON struct {
	Input  string `json:"input,omitempty"`
	Rows   any    `json:"rows"`
	Format string `json:"format"`
}

type unitTestJSON struct {
	Model            string         `json:"model"`
	Given            []fixtureJSON  `json:"given"`
	Expect           fixtureJSON    `json:"expect"`
	Name             string         `json:"name"`
	ResourceType     string         `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         string         `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Description      string         `json:"description"`
	Overrides        map[string]any `json:"overrides,omitempty"`
	DependsOn        dependsOnJSON  `json:"depends_on"`
	Config           map[string]any `json:"config"`
	Schema           string         `json:"schema,omitempty"`
}

// ManifestOption adds what a command learned beyond the compiled project.
type ManifestOption func(*manifestOpts)

type manifestOpts struct {
	lineage *lineage.Result
}

// WithLineage writes each model's compiled SQL and its columns' lineage
// (every output column, declared in yml or not) into the manifest.
func WithLineage(l *lineage.Result) ManifestOption {
	return func(o *manifestOpts) { o.lineage = l }
}

// WriteManifest writes target/manifest.json.
func WriteManifest(dir string, meta Metadata, m *compile.Manifest, opts ...ManifestOption) error {
	var o manifestOpts
	for _, f := range opts {
		f(&o)
	}
	return writeJSONAs(dir+"/manifest.json", buildManifest(meta, m, o), false)
}

func buildManifest(meta Metadata, m *compile.Manifest, o manifestOpts) *manifestJSON {
	pkg := m.Project.Name
	macros := macroFiles(m)
	out := &manifestJSON{
		Metadata: manifestMeta{
			SchemaVersion: ManifestSchema, Version: meta.Version, GeneratedAt: timestamp(meta.GeneratedAt),
			InvocationID: meta.invocationID(), Env: meta.env(), Project: meta.Project, AdapterType: meta.TargetType,
			RunStartedAt: timestamp(meta.GeneratedAt),
		},
		Nodes: map[string]*nodeJSON{}, Sources: map[string]*sourceJSON{}, Macros: macrosJSON(m.Project),
		Docs: map[string]*docJSON{}, Exposures: map[string]*exposureJSON{}, Metrics: map[string]any{},
		Groups: map[string]any{}, Selectors: map[string]any{}, Disabled: map[string][]any{},
		ParentMap: map[string][]string{}, ChildMap: map[string][]string{}, GroupMap: map[string][]string{},
		SavedQueries: map[string]any{}, SemanticModels: map[string]any{}, UnitTests: map[string]*unitTestJSON{},
	}
	for name, text := range m.Project.Docs {
		id := "doc." + pkg + "." + name
		out.Docs[id] = &docJSON{Name: name, ResourceType: "doc", PackageName: pkg, UniqueID: id, BlockContents: text}
	}
	for _, id := range m.IDs() {
		n := m.Nodes[id]
		switch {
		case n.Kind == compile.KindSource:
			out.Sources[id] = sourceNode(m, n)
		case n.Kind == compile.KindTest && n.TestType == "unit":
			if u := unitTestNode(m, n); u != nil {
				out.UnitTests[id] = u
			}
		default:
			out.Nodes[id] = nodeJSONOf(m, n, macros, o.lineage)
		}
		out.ParentMap[id] = nonNil(n.DependsOn)
		if n.TestType == "unit" {
			out.ParentMap[id] = nonNil(n.AttachedTo)
		}
	}
	deps, _ := m.ExposureDeps() // errors were reported when the project compiled
	for _, x := range m.Project.Exposures {
		e := exposureNode(m, x, deps[x.Name])
		out.Exposures[e.UniqueID] = e
		out.ParentMap[e.UniqueID] = *e.DependsOn.Nodes
	}
	for id := range out.ParentMap {
		out.ChildMap[id] = []string{}
	}
	for id, parents := range out.ParentMap {
		for _, p := range parents {
			if _, ok := out.ChildMap[p]; ok {
				out.ChildMap[p] = append(out.ChildMap[p], id)
			}
		}
	}
	for _, c := range out.ChildMap {
		sort.Strings(c)
	}
	return out
}

// NodeJSON is n as manifest.json records it (state compares it with a
// previous run's).
func NodeJSON(m *compile.Manifest, n *compile.Node) any { return nodeJSONOf(m, n, macroFiles(m), nil) }

func nodeJSONOf(m *compile.Manifest, n *compile.Node, macros []macroFile, lin *lineage.Result) *nodeJSON {
	pkg := m.Project.Name
	j := &nodeJSON{
		Schema: n.Relation.Schema, Name: n.Name, ResourceType: n.Kind, PackageName: pkg,
		Path: resourcePath(m.Project, n), OriginalFilePath: n.Path, UniqueID: n.ID,
		Alias: n.Relation.Name, Config: configJSON(n), Tags: nonNil(n.Config.Tags()),
		Columns: map[string]*columnJSON{}, Meta: map[string]any{}, Docs: docsJSON{Show: true},
		DependsOn: dependsOnJSON{Macros: []string{}},
	}
	j.FQN = fqn(pkg, j.Path, n.Name)
	if n.Kind == compile.KindTest {
		// dbt gives tests the schema its failures would be stored in; they
		// have no relation of their own here.
		j.Schema, j.Alias = "", n.Name
	} else {
		rel := m.RelationSQL(n.Relation)
		j.RelationName = &rel
	}
	if mt, ok := n.Config["meta"].(map[string]any); ok {
		for k, v := range mt {
			j.Meta[k] = v
		}
	}
	if n.Props != nil {
		j.Description = n.Props.Description
		for k, v := range n.Props.Meta {
			j.Meta[k] = v
		}
		if n.Props.File != "" {
			p := pkg + "://" + n.Props.File
			j.PatchPath = &p
		}
		for _, c := range n.Props.Columns {
			j.Columns[c.Name] = declaredColumn(c)
		}
	}
	ingot := map[string]any{}
	switch n.Kind {
	case compile.KindSeed:
		j.Checksum = checksumJSON{Name: "sha256", Checksum: seedChecksum(n.Seed.Files)}
	case compile.KindModel, compile.KindSnapshot:
		j.Checksum = checksumJSON{Name: "sha256", Checksum: checksum(n.Model.Src)}
		j.RawCode = string(n.Model.Src)
		ingot["materialized"] = n.Materialized()
		used := usedFiles(macros, n)
		if mc := filesChecksum(macros, used); mc != "" {
			ingot["macro_checksum"] = mc
		}
		j.DependsOn.Macros = macroIDs(pkg, usedMacros(macros, used, n))
	default:
		// dbt's own value for a node without a file body of its own
		j.Checksum = checksumJSON{Name: "none", Checksum: ""}
	}
	if n.Kind != compile.KindSeed {
		j.Language = "sql"
		refs, sources := refsOf(m, n)
		j.Refs, j.Sources, j.Metrics = &refs, &sources, &[][]string{}
		deps := nonNil(n.DependsOn)
		j.DependsOn.Nodes = &deps
		f := false
		j.Compiled = &f
	}
	if n.Kind == compile.KindModel {
		j.Contract = &contractJSON{AliasTypes: true}
		if c, ok := n.Config["contract"].(map[string]any); ok {
			j.Contract.Enforced, _ = c["enforced"].(bool)
		}
	}
	if n.Kind == compile.KindTest {
		ingot["test_type"] = n.TestType
		testMetadata(j, n)
	}
	if lin != nil {
		if lm := lin.Models[n.ID]; lm != nil {
			addLineage(j, lm)
			if lm.Note != "" {
				ingot["lineage_note"] = lm.Note // what of the model as a whole is not traced
			}
		}
	}
	if len(ingot) > 0 {
		j.Meta["ingot"] = ingot
	}
	return j
}

func declaredColumn(c project.Column) *columnJSON {
	col := &columnJSON{Name: c.Name, Description: c.Description, Meta: map[string]any{}, Constraints: []any{}, Tags: []string{}}
	if c.DataType != "" {
		t := c.DataType
		col.DataType = &t
	}
	return col
}

// addLineage records the model's compiled SQL and, for every column it
// outputs, the parent columns it comes from (or why that is unknown).
func addLineage(j *nodeJSON, lm *lineage.Model) {
	if lm.Compiled != "" {
		code, t := lm.Compiled, true
		j.CompiledCode, j.Compiled = &code, &t
	}
	for _, c := range lm.Columns {
		col := j.Columns[c.Name]
		if col == nil {
			// DuckDB matches names case-insensitively; so does yml's entry
			for name, d := range j.Columns {
				if strings.EqualFold(name, c.Name) {
					col = d
				}
			}
		}
		if col == nil {
			// DeclaredKey false: the column is not in yml (not part of the
			// node's contract, which state:modified compares).
			col = &columnJSON{Name: c.Name, Meta: map[string]any{DeclaredKey: false}, Constraints: []any{}, Tags: []string{}}
			if c.Type != "" {
				t := c.Type
				col.DataType = &t
			}
			j.Columns[c.Name] = col
		}
		edges := make([]map[string]string, 0, len(c.From))
		for _, e := range c.From {
			edges = append(edges, map[string]string{"node": e.Node, "column": e.Column})
		}
		col.Meta["ingot_lineage"] = edges
		if c.Note != "" {
			col.Meta["ingot_lineage_note"] = c.Note
		}
	}
}

// configJSON is n's config with dbt's spellings where its schema types a
// key: hooks as "pre-hook"/"post-hook" lists of {sql, transaction}.
func configJSON(n *compile.Node) map[string]any {
	out := map[string]any{}
	for k, v := range n.Config {
		out[k] = v
	}
	for _, key := range []string{"pre_hook", "post_hook"} {
		if _, ok := out[key]; !ok {
			continue
		}
		hooks, err := n.Config.Hooks(key)
		if err != nil {
			continue // compile rejected it already; keep it as written
		}
		list := make([]map[string]any, 0, len(hooks))
		for _, h := range hooks {
			list = append(list, map[string]any{"sql": h.SQL, "transaction": h.Transaction})
		}
		delete(out, key)
		out[strings.ReplaceAll(key, "_", "-")] = list
	}
	switch n.Kind {
	case compile.KindModel, compile.KindSnapshot, compile.KindSeed:
		out["materialized"] = n.Materialized()
	}
	out["enabled"] = n.Config.Enabled()
	if _, ok := out["tags"]; ok {
		out["tags"] = nonNil(n.Config.Tags())
	}
	return out
}

// resourcePath is n's path under the folder it was found in (models/,
// seeds/, tests/, snapshots/), as dbt's "path" is.
func resourcePath(p *project.Project, n *compile.Node) string {
	var roots []string
	switch n.Kind {
	case compile.KindSeed:
		roots = p.SeedPaths
	case compile.KindSnapshot:
		roots = append(append(roots, p.SnapshotPaths...), p.ModelPaths...)
	case compile.KindTest:
		roots = append(append(roots, p.TestPaths...), p.ModelPaths...)
	default:
		roots = p.ModelPaths
	}
	for _, r := range roots {
		if rest, ok := strings.CutPrefix(n.Path, strings.TrimSuffix(r, "/")+"/"); ok {
			return rest
		}
	}
	return n.Path
}

// fqn is dbt's fully qualified name: the package, the folders of the
// node's path and its name.
func fqn(pkg, relPath, name string) []string {
	out := []string{pkg}
	if dir := path.Dir(relPath); dir != "." && dir != "" {
		out = append(out, strings.Split(dir, "/")...)
	}
	return append(out, name)
}

func refsOf(m *compile.Manifest, n *compile.Node) ([]refJSON, [][]string) {
	refs, sources := []refJSON{}, [][]string{}
	for _, id := range n.DependsOn {
		p := m.Nodes[id]
		if p == nil {
			continue
		}
		if p.Kind == compile.KindSource {
			sources = append(sources, []string{p.Source.SourceName, p.Source.Name})
			continue
		}
		if n.Kind != compile.KindTest || n.TestType == "singular" {
			refs = append(refs, refJSON{Name: p.Name})
		}
	}
	return refs, sources
}

// testMetadata fills a generic test's test_metadata, column_name and
// attached_node from the description the datatest package gives the node
// (read by field name: the type is that package's own).
func testMetadata(j *nodeJSON, n *compile.Node) {
	if len(n.AttachedTo) > 0 {
		a := n.AttachedTo[0]
		j.AttachedNode = &a
	}
	if n.TestType != "generic" || n.Test == nil {
		return
	}
	v := reflect.Indirect(reflect.ValueOf(n.Test))
	if v.Kind() != reflect.Struct {
		return
	}
	str := func(name string) string {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
		return ""
	}
	if target := str("Target"); target != "" {
		j.AttachedNode = &target
	}
	name := str("Generic")
	if name == "" {
		return
	}
	tm := &testMetaJSON{Name: name, Kwargs: map[string]any{}}
	if f := v.FieldByName("Args"); f.IsValid() && f.Kind() == reflect.Map {
		if args, ok := f.Interface().(map[string]any); ok {
			for k, a := range args {
				tm.Kwargs[k] = a
			}
		}
	}
	if col := str("Column"); col != "" {
		j.ColumnName = &col
		tm.Kwargs["column_name"] = col
	}
	j.TestMetadata = tm
}

func sourceNode(m *compile.Manifest, n *compile.Node) *sourceJSON {
	pkg, s := m.Project.Name, n.Source
	j := &sourceJSON{
		Schema: s.Schema, Name: s.Name, ResourceType: "source", PackageName: pkg,
		Path: n.Path, OriginalFilePath: n.Path, UniqueID: n.ID, SourceName: s.SourceName,
		Identifier: s.Identifier, Columns: map[string]*columnJSON{}, Meta: map[string]any{},
		SourceMeta: map[string]any{}, Tags: []string{}, Config: map[string]any{"enabled": true},
		RelationName: m.RelationSQL(n.Relation),
	}
	j.FQN = append(fqn(pkg, resourcePath(m.Project, n), s.SourceName), s.Name)
	if s.LoadedAtField != "" {
		f := s.LoadedAtField
		j.LoadedAtField = &f
	}
	j.Freshness = freshnessOf(s.Freshness)
	if n.Props != nil {
		j.Description = n.Props.Description
		for k, v := range n.Props.Meta {
			j.Meta[k] = v
		}
		p := pkg + "://" + n.Props.File
		j.PatchPath = &p
		for _, c := range n.Props.Columns {
			j.Columns[c.Name] = declaredColumn(c)
		}
	}
	return j
}

// freshnessOf turns a freshness block as written into dbt's typed shape
// (count a number, period minute/hour/day).
func freshnessOf(v any) *freshnessJSON {
	fm, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	after := func(key string) *afterJSON {
		a, ok := fm[key].(map[string]any)
		if !ok {
			return nil
		}
		out := &afterJSON{}
		if c, ok := toInt(a["count"]); ok {
			out.Count = &c
		}
		if p, ok := a["period"].(string); ok {
			out.Period = &p
		}
		return out
	}
	f := &freshnessJSON{WarnAfter: after("warn_after"), ErrorAfter: after("error_after")}
	if s, ok := fm["filter"].(string); ok {
		f.Filter = &s
	}
	return f
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		return int(x), true
	case float64:
		return int(x), true
	}
	return 0, false
}

func exposureNode(m *compile.Manifest, x *project.Exposure, deps []string) *exposureJSON {
	pkg := m.Project.Name
	id := "exposure." + pkg + "." + x.Name
	j := &exposureJSON{
		Name: x.Name, ResourceType: "exposure", PackageName: pkg, Path: x.File, OriginalFilePath: x.File,
		UniqueID: id, Type: x.Type, Owner: map[string]any{}, Description: x.Description,
		Meta: map[string]any{}, Tags: nonNil(x.Tags), Config: map[string]any{"enabled": true},
		Refs: []refJSON{}, Sources: [][]string{}, Metrics: [][]string{},
	}
	j.FQN = fqn(pkg, x.File, x.Name)
	for k, v := range x.Owner {
		j.Owner[k] = v
	}
	if x.Label != "" {
		j.Label = &x.Label
	}
	if x.Maturity != "" {
		j.Maturity = &x.Maturity
	}
	if x.URL != "" {
		j.URL = &x.URL
	}
	nodes := nonNil(deps)
	j.DependsOn = dependsOnJSON{Macros: []string{}, Nodes: &nodes}
	for _, d := range deps {
		if p := m.Nodes[d]; p != nil && p.Kind == compile.KindSource {
			j.Sources = append(j.Sources, []string{p.Source.SourceName, p.Source.Name})
		} else if p != nil {
			j.Refs = append(j.Refs, refJSON{Name: p.Name})
		}
	}
	return j
}

func unitTestNode(m *compile.Manifest, n *compile.Node) *unitTestJSON {
	if len(n.AttachedTo) == 0 {
		return nil
	}
	model := m.Nodes[n.AttachedTo[0]]
	var spec *project.UnitTest
	for _, u := range m.Project.UnitTests {
		if u.Name == n.Name && model != nil && u.Model == model.Name {
			spec = u
		}
	}
	if spec == nil || model == nil {
		return nil
	}
	pkg := m.Project.Name
	j := &unitTestJSON{
		Model: model.Name, Name: n.Name, ResourceType: "unit_test", PackageName: pkg,
		Path: resourcePath(m.Project, n), OriginalFilePath: n.Path, UniqueID: n.ID, Description: spec.Description,
		Given: []fixtureJSON{}, Expect: fixtureJSON{Rows: spec.Expect.Rows, Format: formatOf(spec.Expect.Format)},
		DependsOn: dependsOnJSON{Macros: []string{}, Nodes: &[]string{model.ID}},
		Config:    map[string]any{"tags": nonNil(spec.Tags), "meta": map[string]any{}, "enabled": true},
		Schema:    model.Relation.Schema,
	}
	j.FQN = append(fqn(pkg, resourcePath(m.Project, model), model.Name), n.Name)
	for _, g := range spec.Given {
		j.Given = append(j.Given, fixtureJSON{Input: g.Input, Rows: g.Rows, Format: formatOf(g.Format)})
	}
	if len(spec.Overrides.Vars) > 0 || len(spec.Overrides.Macros) > 0 {
		j.Overrides = map[string]any{"vars": nonNilMap(spec.Overrides.Vars), "macros": nonNilMap(spec.Overrides.Macros), "env_vars": map[string]any{}}
	}
	return j
}

func formatOf(f string) string {
	if f == "" {
		return "dict"
	}
	return f
}

// macrosJSON lists every {{ define }} block of the macro files, as dbt
// lists its macros.
func macrosJSON(p *project.Project) map[string]*macroJSON {
	out := map[string]*macroJSON{}
	for _, f := range p.Macros {
		for _, d := range defineBlocks(f.Src) {
			id := "macro." + p.Name + "." + d.name
			out[id] = &macroJSON{
				Name: d.name, ResourceType: "macro", PackageName: p.Name, Path: f.Path, OriginalFilePath: f.Path,
				UniqueID: id, MacroSQL: d.text, DependsOn: dependsOnJSON{Macros: []string{}},
				Meta: map[string]any{}, Docs: docsJSON{Show: true}, Arguments: []any{},
			}
		}
	}
	return out
}

func macroIDs(pkg string, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, "macro."+pkg+"."+n)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func checksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// bigSeed is the size above which a seed file is fingerprinted by size and
// modification time instead of content (as dbt does for large seeds):
// hashing a 1 GB file would cost seconds and its memory on every run.
const bigSeed = 1 << 20

func seedChecksum(files []string) string {
	h := sha256.New()
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			continue
		}
		if st.Size() > bigSeed {
			fmt.Fprintf(h, "%s:%d:%d\n", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
