package datatest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// Test types of test nodes (compile.Node.TestType); graph selection
// treats generic and singular as kinds of "data".
const (
	TypeGeneric  = "generic"
	TypeSingular = "singular"
	TypeUnit     = "unit"
)

// dataTest is what a generic or singular test node carries in Node.Test.
type dataTest struct {
	Generic string // test name (not_null, a user macro's name, ...); "" for singular tests
	Macro   bool   // Generic is a user macro test_<Generic>
	Target  string // tested node ID (generic tests)
	Column  string // tested column ("" for model-level tests)
	Args    map[string]any
	To      string // relationships: parent node ID
	// RefArgs maps user-macro arguments written ref("x") / source("s","t")
	// to node IDs; they are passed to the macro as relations.
	RefArgs map[string]string
	Config  config
}

// Add plans every test of m — generic tests of models, seeds and sources,
// singular tests and unit tests — and adds them as nodes before the graph
// is built. A model also runs after its unit tests and after the tests of
// its parents (Node.RunAfter), so build skips it when they fail. All
// problems are returned together, located in the file that declares them.
func Add(ctx context.Context, m *compile.Manifest) error {
	p := &planner{m: m, files: map[string][]byte{}, names: map[string]bool{}, builtins: builtins()}
	var errs diag.List
	var nodes []*compile.Node
	for _, f := range m.Project.Tests {
		n, err := p.singular(ctx, f)
		errs.Add(err)
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	gen, err := p.generics()
	errs.Add(err)
	nodes = append(nodes, gen...)
	units, err := p.units()
	errs.Add(err)
	nodes = append(nodes, units...)
	if err := errs.Err(); err != nil {
		return err
	}
	if err := m.AddNodes(nodes); err != nil {
		return err
	}
	for _, n := range units {
		model := m.Nodes[n.AttachedTo[0]]
		model.RunAfter = append(model.RunAfter, n.ID)
	}
	blockChildren(m, nodes)
	return nil
}

type planner struct {
	m        *compile.Manifest
	files    map[string][]byte // yml sources, for error snippets
	names    map[string]bool   // test names taken
	builtins map[string]*builtin
}

// source returns a project file's content for error snippets ("" if unreadable).
func (p *planner) source(rel string) []byte {
	if b, ok := p.files[rel]; ok {
		return b
	}
	b, _ := os.ReadFile(filepath.Join(p.m.Project.Root, filepath.FromSlash(rel)))
	p.files[rel] = b
	return b
}

func (p *planner) errAt(file string, line, col int, format string, args ...any) error {
	return diag.At(file, p.source(file), line, col, format, args...)
}

// singular plans tests/**/x.sql as test.x.
func (p *planner) singular(ctx context.Context, f *project.File) (*compile.Node, error) {
	name := strings.TrimSuffix(filepath.Base(f.Path), ".sql")
	n := &compile.Node{ID: "test." + name, Kind: compile.KindTest, Name: name, Path: f.Path, Config: project.Config{}, TestType: TypeSingular}
	if err := p.m.ParseNode(ctx, n, f.Src); err != nil {
		return nil, err
	}
	raw := map[string]any{}
	for k, v := range n.Config {
		if isConfigKey(k) {
			raw[k] = v
		}
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return nil, &diag.Error{File: f.Path, Msg: err.Error()}
	}
	if !cfg.Enabled {
		return nil, nil
	}
	n.Config = testNodeConfig(cfg)
	n.Test = &dataTest{Config: cfg}
	p.names[name] = true
	return n, nil
}

// testNodeConfig is the part of a test's config selectors and
// manifest.json see.
func testNodeConfig(c config) project.Config {
	out := project.Config{"severity": c.Severity}
	if len(c.Tags) > 0 {
		out["tags"] = toAny(c.Tags)
	}
	if c.StoreFailures {
		out["store_failures"] = true
	}
	if c.WarnIf.Raw != "!=0" {
		out["warn_if"] = c.WarnIf.Raw
	}
	if c.ErrorIf.Raw != "!=0" {
		out["error_if"] = c.ErrorIf.Raw
	}
	if c.Where != "" {
		out["where"] = c.Where
	}
	if c.Limit > 0 {
		out["limit"] = c.Limit
	}
	if c.Meta != nil {
		out["meta"] = c.Meta
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// specAt is one test entry with the node it tests.
type specAt struct {
	node *compile.Node
	spec project.TestSpec
}

// generics plans the generic tests of every model, seed and source, in
// file order so generated names are stable.
func (p *planner) generics() ([]*compile.Node, error) {
	var all []specAt
	for _, id := range p.m.IDs() {
		n := p.m.Nodes[id]
		if n.Props == nil || (n.Kind != compile.KindModel && n.Kind != compile.KindSeed && n.Kind != compile.KindSource && n.Kind != compile.KindSnapshot) {
			continue
		}
		for _, s := range n.Props.Tests {
			all = append(all, specAt{node: n, spec: s})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].spec, all[j].spec
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	var errs diag.List
	var out []*compile.Node
	for _, s := range all {
		n, err := p.generic(s.node, s.spec)
		if err != nil {
			errs.Add(err)
			continue
		}
		if n != nil {
			out = append(out, n)
		}
	}
	return out, errs.Err()
}

// parsedSpec is a test entry taken apart.
type parsedSpec struct {
	Test   string
	Name   string // name: given by the user
	Column string
	Args   map[string]any
	Config map[string]any
}

// parseSpec reads the forms dbt accepts:
//
//	not_null
//	{not_null: {config: {severity: warn}}}
//	{accepted_values: {values: [a, b], severity: warn}}    # config beside the arguments
//	{accepted_values: {arguments: {values: [a, b]}, name: x}}
//	{test_name: accepted_values, name: x, values: [a, b]}  # long form
func parseSpec(v any) (parsedSpec, error) {
	var ps parsedSpec
	var body map[string]any
	switch x := v.(type) {
	case string:
		ps.Test = x
	case map[string]any:
		if t, ok := x["test_name"]; ok {
			ps.Test = fmt.Sprint(t)
			body = map[string]any{}
			for k, v := range x {
				if k != "test_name" {
					body[k] = v
				}
			}
			break
		}
		if len(x) != 1 {
			return ps, fmt.Errorf("a test entry is a test name, or a mapping with one key (the test's name) holding its arguments; this one has keys %s", strings.Join(sortedKeys(x), ", "))
		}
		for k, v := range x {
			ps.Test = k
			switch b := v.(type) {
			case nil:
			case map[string]any:
				body = b
			default:
				return ps, fmt.Errorf("the arguments of test %s must be a mapping, not %v", k, v)
			}
		}
	default:
		return ps, fmt.Errorf("a test entry is a test name or a mapping, not %v", v)
	}
	ps.Args = map[string]any{}
	ps.Config = map[string]any{}
	for _, k := range sortedKeys(body) {
		v := body[k]
		switch {
		case k == "config":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				return ps, fmt.Errorf("config of test %s must be a mapping", ps.Test)
			}
			for ck, cv := range m {
				ps.Config[ck] = cv
			}
		case k == "arguments":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				return ps, fmt.Errorf("arguments of test %s must be a mapping", ps.Test)
			}
			for ak, av := range m {
				ps.Args[ak] = av
			}
		case k == "name":
			ps.Name = fmt.Sprint(v)
		case k == "column_name":
			ps.Column = fmt.Sprint(v)
		case k == "description":
		case isConfigKey(k):
			ps.Config[k] = v
		default:
			ps.Args[k] = v
		}
	}
	ps.Test = strings.TrimSpace(ps.Test)
	// Tests from dbt packages keep their names without the package prefix.
	for _, pkg := range []string{"dbt_utils.", "dbt.", "dbt_expectations."} {
		ps.Test = strings.TrimPrefix(ps.Test, pkg)
	}
	if ps.Test == "" {
		return ps, fmt.Errorf("test entry without a test name")
	}
	return ps, nil
}

// userMacro reports whether a macro test_<name> (or an engine-specific
// version of it) is defined.
func (p *planner) userMacro(name string) bool {
	return hasTestMacro(p.m, name)
}

func hasTestMacro(m *compile.Manifest, name string) bool {
	base := "test_" + name
	for _, prefix := range append([]string{""}, macroPrefixes(m)...) {
		if m.Engine.HasMacro(prefix + base) {
			return true
		}
	}
	return false
}

// macroPrefixes are the prefixes that name a version of a macro: default__
// and every registered engine's, whatever the target, so a test defined
// only for another engine is still known (and fails on this one with the
// macro's own message).
func macroPrefixes(m *compile.Manifest) []string {
	out := []string{"default__"}
	for _, p := range m.Opts.Engines.MacroPrefixes {
		out = append(out, p+"__")
	}
	return out
}

func (p *planner) knownTests() []string {
	names := builtinNames()
	prefixes := macroPrefixes(p.m)
	for _, mac := range p.m.Engine.Macros() {
		for _, prefix := range prefixes {
			mac = strings.TrimPrefix(mac, prefix)
		}
		if t, ok := strings.CutPrefix(mac, "test_"); ok {
			names = append(names, t)
		}
	}
	return names
}

var refArg = regexp.MustCompile(`^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$`)
var sourceArg = regexp.MustCompile(`^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$`)

// resolveRelationArg resolves ref("x"), source("s","t") or a bare name.
func (p *planner) resolveRelationArg(s string) (*compile.Node, error) {
	if m := refArg.FindStringSubmatch(s); m != nil {
		return p.m.Lookup(m[1])
	}
	if m := sourceArg.FindStringSubmatch(s); m != nil {
		return p.m.LookupSource(m[1], m[2])
	}
	if strings.ContainsAny(s, "()'\" ") {
		return nil, fmt.Errorf("%q is not a relation: write ref(\"model\") or source(\"source\", \"table\")", s)
	}
	return p.m.Lookup(s)
}

// generic plans one generic test entry of node n.
func (p *planner) generic(n *compile.Node, spec project.TestSpec) (*compile.Node, error) {
	at := func(format string, args ...any) error {
		return p.errAt(spec.File, spec.Line, spec.Col, format, args...)
	}
	ps, err := parseSpec(spec.Value)
	if err != nil {
		return nil, at("%v", err)
	}
	cfg, err := parseConfig(ps.Config)
	if err != nil {
		return nil, at("test %s: %v", ps.Test, err)
	}
	if !cfg.Enabled {
		return nil, nil
	}
	column := spec.Column
	if ps.Column != "" {
		column = ps.Column
	}
	dt := &dataTest{Generic: ps.Test, Target: n.ID, Column: column, Args: ps.Args, Config: cfg}
	deps := map[string]bool{n.ID: true}
	switch b := p.builtins[ps.Test]; {
	case p.userMacro(ps.Test):
		// A user macro test_<name> wins, also over a built-in of that name,
		// so a project can change how a built-in test is computed.
		dt.Macro = true
		for _, k := range sortedKeys(ps.Args) {
			s, ok := ps.Args[k].(string)
			if !ok || (!refArg.MatchString(s) && !sourceArg.MatchString(s)) {
				continue
			}
			to, err := p.resolveRelationArg(s)
			if err != nil {
				return nil, at("test %s, argument %s: %v", ps.Test, k, err)
			}
			if dt.RefArgs == nil {
				dt.RefArgs = map[string]string{}
			}
			dt.RefArgs[k] = to.ID
			deps[to.ID] = true
		}
	case b != nil:
		normalizeArgs(ps.Test, ps.Args)
		if err := checkArgs(b, ps.Args); err != nil {
			return nil, at("test %s: %v", ps.Test, err)
		}
		if b.Column && column == "" {
			return nil, at("test %s checks a column: put it under a column's tests, or give column_name", ps.Test)
		}
		if ps.Test == "relationships" {
			to, err := p.resolveRelationArg(ps.Args["to"].(string))
			if err != nil {
				return nil, at("test relationships, argument to: %v", err)
			}
			dt.To = to.ID
			deps[to.ID] = true
		}
	default:
		msg := fmt.Sprintf("unknown test %q", ps.Test)
		if s := textutil.Suggest(ps.Test, p.knownTests()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf("; built-in tests are %s, or define a macro test_%s in macros/", strings.Join(builtinNames(), ", "), ps.Test)
		}
		return nil, at("%s", msg)
	}

	name := ps.Name
	if name == "" {
		name = p.uniqueName(generatedName(n, ps.Test, column), ps)
	}
	p.names[name] = true
	ids := sortedKeys(deps)
	return &compile.Node{
		ID: "test." + name, Kind: compile.KindTest, Name: name, Path: spec.File,
		Config: testNodeConfig(cfg), DependsOn: ids, AttachedTo: ids, TestType: TypeGeneric, Test: dt,
	}, nil
}

// normalizeArgs accepts short spellings: accepted_range's min and max, and
// recency's interval written with its unit ("3 days").
func normalizeArgs(test string, args map[string]any) {
	switch test {
	case "accepted_range":
		for short, long := range map[string]string{"min": "min_value", "max": "max_value"} {
			if v, ok := args[short]; ok {
				if _, both := args[long]; !both {
					args[long] = v
					delete(args, short)
				}
			}
		}
	case "recency":
		if s, ok := args["interval"].(string); ok {
			if f := strings.Fields(s); len(f) == 2 && args["datepart"] == nil {
				args["interval"], args["datepart"] = f[0], f[1]
			}
		}
		if _, ok := args["datepart"]; !ok {
			args["datepart"] = "day"
		}
	}
}

func checkArgs(b *builtin, args map[string]any) error {
	known := make([]string, 0, len(b.Args))
	for _, a := range b.Args {
		known = append(known, a.Name)
	}
	for _, k := range sortedKeys(args) {
		found := false
		for _, a := range b.Args {
			if a.Name != k {
				continue
			}
			found = true
			if a.Check != nil {
				if err := a.Check(args[k]); err != nil {
					return fmt.Errorf("argument %s %v", k, err)
				}
			}
		}
		if !found {
			msg := fmt.Sprintf("unknown argument %q", k)
			if s := textutil.Suggest(k, append(known, configKeys...)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else if len(known) == 0 {
				msg += fmt.Sprintf("; %s takes no arguments", b.Name)
			} else {
				msg += fmt.Sprintf("; %s takes %s", b.Name, strings.Join(known, ", "))
			}
			return fmt.Errorf("%s", msg)
		}
	}
	for _, a := range b.Args {
		if _, ok := args[a.Name]; a.Required && !ok {
			return fmt.Errorf("missing argument %s", a.Name)
		}
	}
	if b.Validate != nil {
		return b.Validate(args)
	}
	return nil
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// generatedName is dbt's test name: <test>_<model>[_<column>], with
// source_ and the source name in front for source tables.
func generatedName(n *compile.Node, test, column string) string {
	parts := []string{test}
	if n.Kind == compile.KindSource {
		parts = []string{"source", test, n.Source.SourceName}
	}
	parts = append(parts, n.Name)
	if column != "" {
		parts = append(parts, column)
	}
	name := nonWord.ReplaceAllString(strings.Join(parts, "_"), "_")
	return strings.Trim(name, "_")
}

// uniqueName makes a generated name unique: a clash (the same test twice
// on one column with other arguments) gets a short hash of the arguments,
// then a counter.
func (p *planner) uniqueName(base string, ps parsedSpec) string {
	if !p.names[base] {
		return base
	}
	b, _ := json.Marshal([]any{ps.Args, ps.Config})
	sum := sha256.Sum256(b)
	name := base + "_" + hex.EncodeToString(sum[:])[:8]
	for i := 2; p.names[name]; i++ {
		name = fmt.Sprintf("%s_%s_%d", base, hex.EncodeToString(sum[:])[:8], i)
	}
	return name
}

// blockChildren makes each model wait for the data tests of its parents,
// so that `build` skips it when one of them fails. A generic test blocks
// the children of the node it tests, a singular test those of every node
// it reads. Ephemeral models are not run, so the wait passes through them
// to their children. No edge may close a cycle: one is left out when the
// test reads the child or something downstream of it (a relationships test
// pointing downstream).
func blockChildren(m *compile.Manifest, tests []*compile.Node) {
	children := map[string][]string{}
	for _, id := range m.IDs() {
		n := m.Nodes[id]
		if n.Kind == compile.KindTest {
			continue
		}
		for _, d := range n.DependsOn {
			children[d] = append(children[d], id)
		}
	}
	reach := map[string]map[string]bool{} // node → itself and its descendants
	var descendants func(id string) map[string]bool
	descendants = func(id string) map[string]bool {
		if r, ok := reach[id]; ok {
			return r
		}
		r := map[string]bool{id: true}
		reach[id] = r
		for _, c := range children[id] {
			for d := range descendants(c) {
				r[d] = true
			}
		}
		return r
	}
	type edge struct{ test, child *compile.Node }
	var edges []edge
	for _, t := range tests {
		if t.TestType == TypeUnit {
			continue
		}
		attached := t.DependsOn
		if dt, ok := t.Test.(*dataTest); ok && dt.Target != "" {
			attached = []string{dt.Target}
		}
		targets := map[string]bool{}
		var visit func(id string)
		visit = func(id string) {
			for _, c := range children[id] {
				cn := m.Nodes[c]
				if cn.Kind != compile.KindModel || targets[c] {
					continue
				}
				targets[c] = true
				if cn.Materialized() == "ephemeral" {
					visit(c)
				}
			}
		}
		for _, a := range attached {
			visit(a)
		}
		for _, c := range sortedKeys(targets) {
			cn := m.Nodes[c]
			if cn.Materialized() == "ephemeral" {
				continue
			}
			below := descendants(c)
			if !slices.ContainsFunc(t.DependsOn, func(d string) bool { return below[d] }) {
				edges = append(edges, edge{t, cn})
			}
		}
	}
	// Each edge is safe alone; several together can still close a loop
	// through two relationships tests. That is rare, so the whole set is
	// checked once and, only then, edges are added one by one.
	testsOf := map[string][]string{} // node → tests reading it
	for _, t := range tests {
		for _, d := range t.DependsOn {
			testsOf[d] = append(testsOf[d], t.ID)
		}
	}
	added := map[string][]string{} // test → models that wait for it
	succ := func(id string) []string {
		out := append([]string(nil), children[id]...)
		out = append(out, testsOf[id]...)
		return append(out, added[id]...)
	}
	for _, e := range edges {
		added[e.test.ID] = append(added[e.test.ID], e.child.ID)
	}
	if acyclic(m.IDs(), succ) {
		for _, e := range edges {
			e.child.RunAfter = append(e.child.RunAfter, e.test.ID)
		}
		return
	}
	added = map[string][]string{}
	for _, e := range edges {
		if reaches(e.child.ID, e.test.ID, succ) {
			continue
		}
		added[e.test.ID] = append(added[e.test.ID], e.child.ID)
		e.child.RunAfter = append(e.child.RunAfter, e.test.ID)
	}
}

// acyclic reports whether the graph given by succ over ids has no cycle.
func acyclic(ids []string, succ func(string) []string) bool {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case active:
			return false
		case done:
			return true
		}
		state[id] = active
		for _, c := range succ(id) {
			if !visit(c) {
				return false
			}
		}
		state[id] = done
		return true
	}
	for _, id := range ids {
		if !visit(id) {
			return false
		}
	}
	return true
}

// reaches reports whether to can be reached from from along succ.
func reaches(from, to string, succ func(string) []string) bool {
	seen := map[string]bool{}
	stack := []string{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == to {
			return true
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		stack = append(stack, succ(id)...)
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
