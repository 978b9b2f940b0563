// Package compile turns a loaded project into a manifest: every model
// parsed and rendered once without a database to learn its config and
// dependencies, refs resolved to nodes, and the dependency graph built.
// It also renders a node's final SQL for compile and run.
package compile

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/graph"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/template"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// Resource types of nodes.
const (
	KindModel  = "model"
	KindSeed   = "seed"
	KindSource = "source"
	KindTest   = "test"
	// KindSnapshot records the history of a query's rows (see package snapshot).
	KindSnapshot = "snapshot"
)

// Options for building a manifest.
type Options struct {
	TargetName string
	TargetType string // the target's engine name, for templates' target.type
	// TargetSchema is the profile's schema, used by schema-rules: dbt
	// ("" = the dialect's default schema).
	TargetSchema string
	// Dialect is the target engine's: it quotes relations and picks the
	// engine's macro versions.
	Dialect adapter.Dialect
	// Engines are what templates know of every registered engine.
	Engines    template.Engines
	Getenv     func(string) (string, bool)
	RunStarted time.Time
	// SchemaPrefix, when set, makes a model's, seed's or snapshot's schema
	// PREFIX_schema (the profile's schema). IDs, refs and selectors keep the
	// unprefixed names, so two targets' manifests compare node by node.
	SchemaPrefix string
}

// Node is one model, seed, source or test.
type Node struct {
	ID        string
	Kind      string
	Name      string
	Relation  adapter.Relation
	Path      string // project-relative file (or folder for combined seeds)
	Config    project.Config
	DependsOn []string // parent node IDs, sorted
	Props     *project.Properties

	Model    *project.Model
	Seed     *project.Seed
	Source   *project.Source
	Template *template.Template
	// Test carries a test's own description (set by the datatest package).
	Test any
	// TestType is "generic", "singular" (both data tests) or "unit" for
	// tests; AttachedTo the tested nodes.
	TestType   string
	AttachedTo []string
	// RunAfter are extra scheduling parents that are not data dependencies:
	// in build, a model waits for its unit tests and for the tests of its
	// parents, and is skipped when they fail (see BuildRunGraph).
	RunAfter []string

	refs map[string]string // ref argument → node ID
}

// Materialized is the node's materialization ("seed" for seeds).
func (n *Node) Materialized() string {
	switch n.Kind {
	case KindModel:
		return n.Config.Materialized()
	case KindSeed:
		return "seed"
	case KindSnapshot:
		return "snapshot"
	}
	return n.Kind
}

// Manifest is the compiled project.
type Manifest struct {
	Project *project.Project
	Engine  *template.Engine
	Opts    Options
	Nodes   map[string]*Node
	Graph   *graph.Graph
	// Deferred maps the IDs of nodes this run does not build, and this
	// target lacks, to the relation (SQL text) of another run's target
	// that refs to them read instead (--defer).
	Deferred map[string]string

	byName map[string][]*Node // bare name → models and seeds
	byRel  map[string]*Node   // schema.name → model or seed
}

// ModelID and friends build node IDs; they are also what `ls --output json` prints.
func ModelID(schema, name string) string { return "model." + schema + "." + name }
func SeedID(schema, name string) string  { return "seed." + schema + "." + name }
func SourceID(src, table string) string  { return "source." + src + "." + table }

// SnapshotID is a snapshot's node ID.
func SnapshotID(schema, name string) string { return "snapshot." + schema + "." + name }

// Build parses and resolves every node of p. All problems are returned
// together.
func Build(ctx context.Context, p *project.Project, opts Options) (*Manifest, error) {
	if opts.RunStarted.IsZero() {
		opts.RunStarted = time.Now()
	}
	eng, err := template.NewEngine(p.Macros, opts.Engines)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Project: p, Engine: eng, Opts: opts, Nodes: map[string]*Node{}, byName: map[string][]*Node{}, byRel: map[string]*Node{}}
	var errs diag.List

	// Parse every model (and snapshot) template and render it once in
	// parse mode.
	all := append(append([]*project.Model{}, p.Models...), p.Snapshots...)
	models := make([]*Node, len(all))
	outs := make([]*template.Output, len(all))
	perrs := make([]error, len(all))
	err = forEach(ctx, len(all), 0, func(i int) {
		pm := all[i]
		kind := KindModel
		if i >= len(p.Models) {
			kind = KindSnapshot
		}
		n := &Node{Kind: kind, Name: pm.Name, Path: pm.Path, Model: pm, Props: pm.Props, Config: pm.Config}
		models[i] = n
		t, err := eng.Parse(pm.Path, pm.Src)
		if err != nil {
			perrs[i] = err
			return
		}
		n.Template = t
		outs[i], perrs[i] = eng.Render(ctx, t, m.context(n, nil, false, nil))
	})
	if err != nil {
		return nil, err
	}
	for i, n := range models {
		if perrs[i] != nil {
			errs.Add(perrs[i])
			continue
		}
		n.Config = n.Config.Merge(outs[i].Config)
		if !n.Config.Enabled() {
			models[i] = nil
			continue
		}
		schema, err := m.schemaOf(ctx, n, n.Model.Schema)
		if err != nil {
			errs.Add(err)
			continue
		}
		name := n.Name
		if a := n.Config.String("alias"); a != "" {
			name = a
		}
		n.Relation = adapter.Relation{Schema: schema, Name: name}
		n.ID = ModelID(schema, n.Name)
		if n.Kind == KindSnapshot {
			n.ID = SnapshotID(schema, n.Name)
			continue
		}
		if sw := n.Config.String("swap"); sw != "" && sw != adapter.SwapRename && sw != adapter.SwapRows {
			errs.Add(&diag.Error{File: n.Path, Msg: fmt.Sprintf("config swap must be %s or %s, not %q", adapter.SwapRename, adapter.SwapRows, sw)})
		}
		if mat := n.Config.Materialized(); !validMaterialized[mat] {
			errs.Add(&diag.Error{File: n.Path, Msg: fmt.Sprintf("unknown materialization %q (use view, table, incremental or ephemeral)", mat)})
		}
	}
	for _, s := range p.Seeds {
		n := &Node{Kind: KindSeed, Name: s.Name, Path: s.Path, Seed: s, Props: s.Props, Config: s.Config}
		schema, err := m.schemaOf(ctx, n, s.Schema)
		if err != nil {
			errs.Add(err)
			continue
		}
		n.Relation, n.ID = adapter.Relation{Schema: schema, Name: s.Name}, SeedID(schema, s.Name)
		if a := s.Config.String("alias"); a != "" {
			n.Relation.Name = a
		}
		errs.Add(m.add(n))
	}
	for _, n := range models {
		if n != nil && n.ID != "" {
			errs.Add(m.add(n))
		}
	}
	for _, s := range p.Sources {
		n := &Node{Kind: KindSource, Name: s.Name, Path: s.Props.File, Source: s, Props: s.Props, Config: project.Config{},
			Relation: adapter.Relation{Schema: s.Schema, Name: s.Identifier}, ID: SourceID(s.SourceName, s.Name)}
		if _, dup := m.Nodes[n.ID]; dup {
			errs.Add(&diag.Error{File: s.Props.File, Line: s.Props.Line, Msg: fmt.Sprintf("source %s.%s is declared twice", s.SourceName, s.Name)})
			continue
		}
		m.Nodes[n.ID] = n
	}

	// Resolve dependencies, pointing at the call in the file when it is
	// literal. Each node only reads the manifest, so they go in parallel;
	// problems are listed in the models' order.
	rerrs := make([]error, len(models))
	err = forEach(ctx, len(models), 0, func(i int) {
		if n := models[i]; n != nil && n.ID != "" && outs[i] != nil && m.Nodes[n.ID] == n {
			rerrs[i] = m.resolveDeps(n, outs[i])
		}
	})
	if err != nil {
		return nil, err
	}
	for _, err := range rerrs {
		errs.Add(err)
	}
	_, err = m.ExposureDeps()
	errs.Add(err)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if opts.SchemaPrefix != "" {
		for _, n := range m.Nodes {
			if n.Kind == KindModel || n.Kind == KindSeed || n.Kind == KindSnapshot {
				n.Relation.Schema = opts.SchemaPrefix + "_" + n.Relation.Schema
			}
		}
	}
	return m, nil
}

var validMaterialized = map[string]bool{"view": true, "table": true, "incremental": true, "ephemeral": true}

func (m *Manifest) add(n *Node) error {
	key := n.Relation.String()
	if prev, ok := m.byRel[key]; ok {
		return &diag.Error{File: n.Path, Msg: fmt.Sprintf("%s %s would create relation %s, which %s %s already creates; rename one of them or set a different schema", n.Kind, n.Name, key, prev.Kind, prev.Path)}
	}
	m.byRel[key] = n
	m.byRel[n.Relation.Schema+"."+n.Name] = n
	m.byName[n.Name] = append(m.byName[n.Name], n)
	m.Nodes[n.ID] = n
	return nil
}

// lookup resolves a ref argument to a model or seed node.
func (m *Manifest) lookup(name string) (*Node, error) {
	if n, ok := m.byRel[name]; ok {
		return n, nil
	}
	cands := m.byName[name]
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		msg := fmt.Sprintf("unknown ref %q", name)
		all := make([]string, 0, len(m.byName)+len(m.byRel))
		for k := range m.byName {
			all = append(all, k)
		}
		if strings.Contains(name, ".") {
			for k := range m.byRel {
				all = append(all, k)
			}
		}
		sort.Strings(all)
		if s := textutil.Suggest(name, all); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, fmt.Errorf("%s", msg)
	default:
		var names []string
		for _, c := range cands {
			names = append(names, fmt.Sprintf("%q (%s)", c.Relation.Schema+"."+c.Name, c.Path))
		}
		sort.Strings(names)
		return nil, fmt.Errorf("ambiguous ref %q: it could be %s; write the schema-qualified name", name, strings.Join(names, " or "))
	}
}

func (m *Manifest) lookupSource(src, table string) (*Node, error) {
	if n, ok := m.Nodes[SourceID(src, table)]; ok {
		return n, nil
	}
	var all []string
	for _, n := range m.Nodes {
		if n.Kind == KindSource {
			all = append(all, n.Source.SourceName+"."+n.Name)
		}
	}
	msg := fmt.Sprintf("unknown source %q %q", src, table)
	if s := textutil.Suggest(src+"."+table, all); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else if len(all) == 0 {
		msg += "; declare it under sources: in a .yml file beside your models"
	}
	return nil, fmt.Errorf("%s", msg)
}

func (m *Manifest) resolveDeps(n *Node, out *template.Output) error {
	var errs diag.List
	n.refs = map[string]string{}
	deps := map[string]bool{}
	pos := map[string]template.Call{}
	for _, c := range n.Template.Calls {
		key := c.Func + ":" + strings.Join(c.Args, ".")
		if _, ok := pos[key]; !ok {
			pos[key] = c
		}
	}
	report := func(key string, err error) {
		c, ok := pos[key]
		if !ok {
			errs.Add(&diag.Error{File: n.Path, Msg: err.Error()})
			return
		}
		errs.Add(diag.At(n.Path, n.Model.Src, c.Line, c.Col, "%v", err))
	}
	refs := append([]string{}, out.Refs...)
	sources := append([][2]string{}, out.Sources...)
	for _, c := range n.Template.Calls {
		switch {
		case c.Func == "ref" && len(c.Args) == 1:
			refs = append(refs, c.Args[0])
		case c.Func == "source" && len(c.Args) == 2:
			sources = append(sources, [2]string{c.Args[0], c.Args[1]})
		case c.Func == "ref":
			report(c.Func+":"+strings.Join(c.Args, "."), fmt.Errorf("ref takes one name (\"model\" or \"schema.model\")"))
		}
	}
	for _, r := range refs {
		if _, done := n.refs[r]; done {
			continue
		}
		p, err := m.lookup(r)
		if err != nil {
			n.refs[r] = ""
			report("ref:"+r, err)
			continue
		}
		if p == n {
			report("ref:"+r, fmt.Errorf("model %s refers to itself; use {{ this }} for its own relation", n.Name))
			continue
		}
		n.refs[r] = p.ID
		deps[p.ID] = true
	}
	for _, s := range sources {
		key := "source:" + s[0] + "." + s[1]
		if _, done := n.refs[key]; done {
			continue
		}
		p, err := m.lookupSource(s[0], s[1])
		if err != nil {
			n.refs[key] = ""
			report(key, err)
			continue
		}
		n.refs[key] = p.ID
		deps[p.ID] = true
	}
	n.DependsOn = sortedSet(deps)
	return errs.Err()
}

func sortedSet(s map[string]bool) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup resolves a ref argument ("name" or "schema.name") to a model or
// seed node, with a "did you mean" when it is unknown.
func (m *Manifest) Lookup(name string) (*Node, error) { return m.lookup(name) }

// LookupSource resolves a declared source table.
func (m *Manifest) LookupSource(src, table string) (*Node, error) { return m.lookupSource(src, table) }

// ParseNode parses src as the template of n (a singular test), renders it
// once in parse mode for its config, and resolves its refs and sources into
// n.DependsOn like a model's. n.Path names the file in errors.
func (m *Manifest) ParseNode(ctx context.Context, n *Node, src []byte) error {
	t, err := m.Engine.Parse(n.Path, src)
	if err != nil {
		return err
	}
	n.Template = t
	out, err := m.Engine.Render(ctx, t, m.context(n, nil, false, nil))
	if err != nil {
		return err
	}
	n.Config = n.Config.Merge(out.Config)
	// resolveDeps points errors into the file through n.Model.
	keep := n.Model
	n.Model = &project.Model{File: project.File{Path: n.Path, Src: src}}
	defer func() { n.Model = keep }()
	return m.resolveDeps(n, out)
}

// AddNodes adds nodes (tests) before the graph is built.
func (m *Manifest) AddNodes(nodes []*Node) error {
	var errs diag.List
	for _, n := range nodes {
		if _, dup := m.Nodes[n.ID]; dup {
			errs.Add(&diag.Error{File: n.Path, Msg: fmt.Sprintf("%s %q is defined twice; give one of them another name", n.Kind, n.Name)})
			continue
		}
		m.Nodes[n.ID] = n
	}
	return errs.Err()
}

// BuildGraph builds the dependency graph of all nodes; cycles are
// reported with every model on them and its file.
func (m *Manifest) BuildGraph() error { return m.buildGraph(false) }

// BuildRunGraph rebuilds the graph with the RunAfter edges too, for a walk
// that runs models together with their tests (build): a model then waits
// for its unit tests and for the tests of its parents. Other commands keep
// the plain graph, so tests never wait for each other there.
func (m *Manifest) BuildRunGraph() error { return m.buildGraph(true) }

func (m *Manifest) buildGraph(runAfter bool) error {
	nodes := make([]graph.Node, 0, len(m.Nodes))
	for _, id := range m.IDs() {
		n := m.Nodes[id]
		cfg := n.Config.Flat()
		if n.Kind == KindModel {
			cfg["materialized"] = n.Materialized()
		}
		nodes = append(nodes, graph.Node{
			ID: n.ID, Name: n.Name, Schema: m.baseSchema(n), ResourceType: n.Kind, Path: n.Path,
			Tags: n.Config.Tags(), Config: cfg, TestType: n.TestType, AttachedTo: n.AttachedTo, DependsOn: n.graphParents(runAfter),
		})
	}
	g, err := graph.New(nodes)
	if err != nil {
		return m.cycleError(err)
	}
	m.Graph = g
	return nil
}

// baseSchema is n's schema without the target's SchemaPrefix: selectors
// name nodes the same on every target.
func (m *Manifest) baseSchema(n *Node) string {
	if m.Opts.SchemaPrefix != "" && n.Kind != KindSource && n.Kind != KindTest {
		return strings.TrimPrefix(n.Relation.Schema, m.Opts.SchemaPrefix+"_")
	}
	return n.Relation.Schema
}

// graphParents are DependsOn, plus RunAfter when asked, sorted and
// without duplicates.
func (n *Node) graphParents(runAfter bool) []string {
	if !runAfter || len(n.RunAfter) == 0 {
		return n.DependsOn
	}
	set := map[string]bool{}
	for _, id := range n.DependsOn {
		set[id] = true
	}
	for _, id := range n.RunAfter {
		set[id] = true
	}
	return sortedSet(set)
}

// IDs returns all node IDs, sorted.
func (m *Manifest) IDs() []string {
	out := make([]string, 0, len(m.Nodes))
	for id := range m.Nodes {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// context builds the render context of n. resolve overrides ref/source
// resolution (unit tests); nil uses the manifest (or placeholders before
// refs are resolved).
func (m *Manifest) context(n *Node, vars map[string]any, incremental bool, query func(context.Context, string) ([]map[string]any, error)) template.Context {
	v := m.Project.Vars
	if len(vars) > 0 {
		v = make(map[string]any, len(m.Project.Vars)+len(vars))
		for k, x := range m.Project.Vars {
			v[k] = x
		}
		for k, x := range vars {
			v[k] = x
		}
	}
	this := ""
	if n.Relation.Name != "" {
		this = m.RelationSQL(n.Relation)
	}
	return template.Context{
		Model:         map[string]any{"name": n.Name, "schema": n.Relation.Schema, "path": n.Path},
		This:          this,
		TargetName:    m.Opts.TargetName,
		TargetType:    m.Opts.TargetType,
		MacroPrefixes: m.Opts.Dialect.MacroPrefixes,
		TargetSchema:  m.targetSchema(),
		Vars:          v,
		Getenv:        m.Opts.Getenv,
		IsIncremental: incremental,
		RunStarted:    m.Opts.RunStarted,
		Resolver:      &resolver{m: m, n: n},
		Query:         query,
	}
}

// RelationSQL quotes a relation in the target's dialect.
func (m *Manifest) RelationSQL(r adapter.Relation) string {
	return m.Opts.Dialect.RelationSQL(r)
}

// EphemeralName is the CTE name an ephemeral model is inlined as.
func EphemeralName(n *Node) string { return "__ingot_cte__" + n.Name }

type resolver struct {
	m *Manifest
	n *Node
	// override maps a ref/source key to SQL text (unit-test fixtures).
	override func(key string) (string, bool)
	// ephemerals collects the ephemeral models referenced during a render.
	mu         sync.Mutex
	ephemerals []*Node
}

func (r *resolver) Ref(name string) (string, error) {
	if r.override != nil {
		if s, ok := r.override("ref:" + name); ok {
			return s, nil
		}
	}
	if r.n.refs == nil { // parse mode: dependencies are not resolved yet
		return `"__ref__"."` + name + `"`, nil
	}
	id, ok := r.n.refs[name]
	if !ok || id == "" {
		_, err := r.m.lookup(name)
		if err == nil {
			err = fmt.Errorf("ref %q is computed while rendering and was not found when the project was parsed", name)
		}
		return "", err
	}
	p := r.m.Nodes[id]
	if d, ok := r.m.Deferred[id]; ok {
		return d, nil
	}
	if p.Kind == KindModel && p.Materialized() == "ephemeral" {
		r.mu.Lock()
		r.ephemerals = append(r.ephemerals, p)
		r.mu.Unlock()
		return EphemeralName(p), nil
	}
	return r.m.RelationSQL(p.Relation), nil
}

func (r *resolver) Source(src, table string) (string, error) {
	key := "source:" + src + "." + table
	if r.override != nil {
		if s, ok := r.override(key); ok {
			return s, nil
		}
	}
	if r.n.refs == nil {
		return `"__source__"."` + table + `"`, nil
	}
	id := r.n.refs[key]
	if id == "" {
		_, err := r.m.lookupSource(src, table)
		return "", err
	}
	return r.m.RelationSQL(r.m.Nodes[id].Relation), nil
}

// RenderOptions control one render of a node.
type RenderOptions struct {
	Incremental bool
	Vars        map[string]any
	Query       func(ctx context.Context, sql string) ([]map[string]any, error)
	// Override replaces refs and sources: key is "ref:NAME" or
	// "source:SRC.TABLE" (as written in the template), value the SQL text.
	Override func(key string) (string, bool)
	// This replaces the node's own relation text.
	This string
}

// Render renders a model's final SQL, with ephemeral models it refers to
// inlined as CTEs.
func (m *Manifest) Render(ctx context.Context, id string, o RenderOptions) (string, error) {
	n := m.Nodes[id]
	if n == nil || n.Template == nil {
		return "", fmt.Errorf("%s has no SQL template", id)
	}
	return m.renderWithCTEs(ctx, n, o)
}

// RenderEach renders the nodes ids with o, several at a time, and passes
// each result to each, on the goroutine that rendered it (so each may
// write files concurrently). It returns one error per id: the render's,
// else each's. workers bounds the goroutines (< 1: GOMAXPROCS); callers
// that write files want more than there are cores, to overlap writing
// with rendering.
func (m *Manifest) RenderEach(ctx context.Context, ids []string, o RenderOptions, workers int, each func(i int, sql string) error) ([]error, error) {
	errs := make([]error, len(ids))
	err := forEach(ctx, len(ids), workers, func(i int) {
		sql, err := m.Render(ctx, ids[i], o)
		if err == nil {
			err = each(i, sql)
		}
		errs[i] = err
	})
	return errs, err
}

// renderWithCTEs renders n and inlines the ephemeral models it refers to.
func (m *Manifest) renderWithCTEs(ctx context.Context, n *Node, o RenderOptions) (string, error) {
	sql, ctes, err := m.renderOne(ctx, n, o)
	if err != nil {
		return "", err
	}
	if len(ctes) == 0 {
		return sql, nil
	}
	// Render each ephemeral once, parents first.
	var order []*Node
	seen := map[string]bool{}
	var visit func(e *Node) error
	defs := map[string]string{}
	visit = func(e *Node) error {
		if seen[e.ID] {
			return nil
		}
		seen[e.ID] = true
		esql, sub, err := m.renderOne(ctx, e, RenderOptions{Vars: o.Vars, Query: o.Query, Override: o.Override})
		if err != nil {
			return err
		}
		for _, s := range sub {
			if err := visit(s); err != nil {
				return err
			}
		}
		defs[e.ID] = esql
		order = append(order, e)
		return nil
	}
	for _, e := range ctes {
		if err := visit(e); err != nil {
			return "", err
		}
	}
	parts := make([]string, len(order))
	for i, e := range order {
		parts[i] = EphemeralName(e) + " as (\n" + strings.TrimSpace(stripTrailingSemicolon(defs[e.ID])) + "\n)"
	}
	return InjectCTEs(sql, parts), nil
}

func (m *Manifest) renderOne(ctx context.Context, n *Node, o RenderOptions) (string, []*Node, error) {
	c := m.context(n, o.Vars, o.Incremental, o.Query)
	res := &resolver{m: m, n: n, override: o.Override}
	c.Resolver = res
	if o.This != "" {
		c.This = o.This
	}
	out, err := m.Engine.Render(ctx, n.Template, c)
	if err != nil {
		return "", nil, err
	}
	return out.SQL, res.ephemerals, nil
}

var leadingWith = regexp.MustCompile(`(?is)^((?:\s|--[^\n]*\n|/\*.*?\*/)*)with(\s+recursive)?\s`)

// InjectCTEs puts CTE definitions in front of sql, merging with the
// statement's own WITH clause when it has one.
func InjectCTEs(sql string, ctes []string) string {
	list := strings.Join(ctes, ",\n")
	if loc := leadingWith.FindStringSubmatchIndex(sql); loc != nil {
		head := sql[:loc[1]]
		return head + list + ",\n" + sql[loc[1]:]
	}
	return "with " + list + "\n" + sql
}

func stripTrailingSemicolon(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), ";")
}

// RenderText renders a template text (a hook, a test) in the context of
// node id; name identifies the text in errors.
func (m *Manifest) RenderText(ctx context.Context, id, name, text string, o RenderOptions) (string, error) {
	n := m.Nodes[id]
	if n == nil {
		return "", fmt.Errorf("unknown node %s", id)
	}
	t, err := m.Engine.Parse(name, []byte(text))
	if err != nil {
		return "", err
	}
	tmp := *n
	tmp.Template = t
	sql, _, err := m.renderOne(ctx, &tmp, o)
	return sql, err
}

// RenderInline renders ad-hoc SQL (ingot show --inline) with refs to any
// model or seed.
func (m *Manifest) RenderInline(ctx context.Context, name, text string) (string, error) {
	t, err := m.Engine.Parse(name, []byte(text))
	if err != nil {
		return "", err
	}
	n := &Node{Kind: KindModel, Name: "inline", Template: t, Path: name, Config: project.Config{}}
	// Resolve the inline query's literal refs like a model's.
	out, err := m.Engine.Render(ctx, t, m.context(n, nil, false, nil))
	if err != nil {
		return "", err
	}
	n.Model = &project.Model{File: project.File{Path: name, Src: []byte(text)}}
	if err := m.resolveDeps(n, out); err != nil {
		return "", err
	}
	return m.renderWithCTEs(ctx, n, RenderOptions{})
}

// WithEngine returns o for a target of engine name from reg: its name and
// dialect, and what templates know of every engine of reg.
func (o Options) WithEngine(reg *adapter.Registry, name string) Options {
	o.TargetType = name
	if reg == nil {
		return o
	}
	if e, ok := reg.Lookup(name); ok {
		o.Dialect = e.Dialect
	}
	o.Engines = template.Engines{MacroPrefixes: reg.MacroPrefixes(), MaxIdentifierBytes: reg.MaxIdentifierBytes()}
	return o
}
