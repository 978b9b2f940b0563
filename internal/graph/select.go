package graph

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/textutil"
)

// Selector methods. A criterion without "method:" uses MethodFQN, or
// MethodFile when the value ends with a project file extension, or
// MethodPath when it contains a slash (as dbt does).
const (
	MethodFQN          = "fqn"           // name, schema.name, ID; * and ? wildcards
	MethodTag          = "tag"           // tag:bi
	MethodPath         = "path"          // path:models/gold (folder prefix or file)
	MethodFile         = "file"          // file:invoice_averages.sql (base name)
	MethodConfig       = "config"        // config.materialized:table (Method holds "config", Key the key)
	MethodResourceType = "resource_type" // resource_type:model
	MethodTestType     = "test_type"     // test_type:unit|data|generic|singular
	MethodSource       = "source"        // source:erp or source:erp.invoices
	// Methods answered from outside the project (a previous run's
	// artifacts), by the marks the caller puts on nodes (see Mark).
	MethodState        = "state"         // state:modified, state:new
	MethodResult       = "result"        // result:error, result:fail, result:skipped, …
	MethodSourceStatus = "source_status" // source_status:fresher, …
)

// IndirectMode is dbt's --indirect-selection: which tests join a selection
// because of the nodes they test.
type IndirectMode string

const (
	IndirectEager     IndirectMode = "eager"     // a test joins when ANY node it tests is selected (default)
	IndirectCautious  IndirectMode = "cautious"  // only when ALL nodes it tests are selected
	IndirectBuildable IndirectMode = "buildable" // when each node it tests is selected or an ancestor of a selected node
	IndirectEmpty     IndirectMode = "empty"     // tests join only when selected themselves
)

// SelectOptions tune Select.
type SelectOptions struct {
	// IndirectTests is the indirect selection mode; "" means IndirectEager.
	IndirectTests IndirectMode
	// ResourceTypes keeps only nodes of these types (e.g. ["model"] for run,
	// ["test"] for test) after selection and indirect test selection; empty
	// keeps all.
	ResourceTypes []string
}

// Selection is the result of Select.
type Selection struct {
	IDs      []string // selected node IDs in topological order
	Warnings []string // one per selector that matched nothing
}

// Criterion is one selection method with its graph operators, e.g. "2+tag:bi+".
type Criterion struct {
	Raw    string
	Method string // one of the Method constants
	Key    string // config key for MethodConfig
	Value  string

	Parents          bool // "+" prefix
	ParentsDepth     int  // -1 = all
	Children         bool // "+" suffix
	ChildrenDepth    int  // -1 = all
	ChildrensParents bool // "@" prefix: descendants and all their ancestors
}

// Selector is an intersection of criteria: "tag:bi,config.materialized:table".
type Selector struct {
	Raw      string
	Criteria []Criterion
}

// SelectorError is a malformed selector.
type SelectorError struct {
	Selector string
	Reason   string
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("invalid selector %q: %s", e.Selector, e.Reason)
}

// ParseSelector parses one command-line argument: space-separated selectors
// (a union), each a comma-separated intersection of criteria. Every malformed
// part is reported, joined with errors.Join, as *SelectorError.
func ParseSelector(arg string) ([]Selector, error) {
	var out []Selector
	var errs []error
	for _, field := range strings.Fields(arg) {
		sel := Selector{Raw: field}
		ok := true
		for part := range strings.SplitSeq(field, ",") {
			if part == "" {
				errs = append(errs, &SelectorError{Selector: field, Reason: "empty criterion around \",\""})
				ok = false
				continue
			}
			c, err := parseCriterion(part)
			if err != nil {
				errs = append(errs, err)
				ok = false
				continue
			}
			sel.Criteria = append(sel.Criteria, c)
		}
		if ok {
			out = append(out, sel)
		}
	}
	return out, errors.Join(errs...)
}

// simpleMethods are the methods written "method:value".
func simpleMethods() []string {
	return []string{MethodFQN, MethodTag, MethodPath, MethodFile, MethodResourceType, MethodTestType, MethodSource, MethodState, MethodResult, MethodSourceStatus}
}

// fileExts are the endings that make a bare value a file name (dbt treats
// "x.sql" as the file method).
func fileExts() []string {
	return []string{".sql", ".csv", ".json", ".parquet", ".xlsx", ".yml", ".yaml"}
}

func parseCriterion(raw string) (Criterion, error) {
	bad := func(format string, a ...any) (Criterion, error) {
		return Criterion{}, &SelectorError{Selector: raw, Reason: fmt.Sprintf(format, a...)}
	}
	c := Criterion{Raw: raw, ParentsDepth: -1, ChildrenDepth: -1}
	s := raw
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		c.ChildrensParents = true
		s = rest
	}
	// "N+" prefix: digits followed by "+". Digits not followed by "+" belong
	// to the name (a model may be called 2024_sales).
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits < len(s) && s[digits] == '+' {
		c.Parents = true
		if digits > 0 {
			d, err := strconv.Atoi(s[:digits])
			if err != nil || d > 1<<20 {
				return bad("depth %q is too large", s[:digits])
			}
			c.ParentsDepth = d
		}
		s = s[digits+1:]
	}
	// "+N" suffix.
	if k := strings.LastIndexByte(s, '+'); k >= 0 && strings.Trim(s[k+1:], "0123456789") == "" {
		c.Children = true
		if k+1 < len(s) {
			d, err := strconv.Atoi(s[k+1:])
			if err != nil || d > 1<<20 {
				return bad("depth %q is too large", s[k+1:])
			}
			c.ChildrenDepth = d
		}
		s = s[:k]
	}
	if c.ChildrensParents && c.Parents {
		return bad(`"@" and a "+" prefix cannot be combined`)
	}

	value := s
	if k := strings.IndexByte(s, ':'); k >= 0 && isMethodName(s[:k]) {
		method := s[:k]
		value = s[k+1:]
		switch {
		case strings.HasPrefix(method, "config."):
			c.Method, c.Key = MethodConfig, strings.TrimPrefix(method, "config.")
			if c.Key == "" {
				return bad("missing config key: use config.KEY:VALUE")
			}
		case slices.Contains(simpleMethods(), method):
			c.Method = method
		case method == MethodConfig:
			return bad("missing config key: use config.KEY:VALUE")
		default:
			reason := fmt.Sprintf("unknown method %q", method)
			if s := textutil.Suggest(method, append(simpleMethods(), "config.KEY")); s != "" {
				reason += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return bad("%s", reason)
		}
	} else if k >= 0 {
		return bad("%q is not a selector method", s[:k])
	}

	if value == "" {
		if c.Method != "" {
			return bad("missing value after %q", s)
		}
		return bad("missing node name")
	}
	if strings.ContainsAny(value, "+@") {
		return bad(`"+" and "@" are only allowed as graph operators: [@][N]+name+[N]`)
	}
	if c.Method == "" {
		switch {
		case strings.HasPrefix(value, "config."):
			return bad("missing value: use %s:VALUE", value)
		case hasAnySuffix(value, fileExts()):
			c.Method = MethodFile
		case strings.Contains(value, "/"):
			c.Method = MethodPath
		default:
			c.Method = MethodFQN
		}
	}
	if c.Method == MethodTestType && !slices.Contains([]string{"unit", "data", "generic", "singular"}, value) {
		return bad("test_type must be unit, data, generic or singular")
	}
	c.Value = value
	return c, nil
}

func isMethodName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// Select resolves dbt-style --select / --exclude arguments. Each argument may
// hold several space-separated selectors (union); a comma inside a selector
// intersects criteria. An empty include selects every node. Tests join the
// selection indirectly per opts.IndirectTests; a test any of whose tested
// nodes is excluded is excluded too (dbt: exclusion is greedy). Malformed
// selectors are errors (*SelectorError); selectors that match nothing give
// warnings, with a "did you mean" when a name is close to an existing one.
func (g *Graph) Select(include, exclude []string, opts SelectOptions) (Selection, error) {
	mode := opts.IndirectTests
	if mode == "" {
		mode = IndirectEager
	}
	if !slices.Contains([]IndirectMode{IndirectEager, IndirectCautious, IndirectBuildable, IndirectEmpty}, mode) {
		return Selection{}, fmt.Errorf("unknown indirect selection mode %q: use eager, cautious, buildable or empty", mode)
	}
	incSels, incErr := parseAll(include)
	excSels, excErr := parseAll(exclude)
	if err := errors.Join(incErr, excErr); err != nil {
		return Selection{}, err
	}

	n := len(g.nodes)
	var warnings []string
	inc := make([]bool, n)
	if len(incSels) == 0 {
		for i := range inc {
			inc[i] = true
		}
	} else {
		warnings = append(warnings, g.union(incSels, inc, mode)...)
	}
	exc := make([]bool, n)
	warnings = append(warnings, g.union(excSels, exc, mode)...)

	sel := make([]bool, n)
	for i := range sel {
		sel[i] = inc[i] && !exc[i]
	}

	var buildable []bool
	if mode == IndirectBuildable {
		buildable = make([]bool, n)
		var start []int
		for i, ok := range sel {
			if ok {
				start = append(start, i)
			}
		}
		g.expand(start, -1, g.parents, buildable)
	}
	for i, node := range g.nodes {
		if node.ResourceType != "test" {
			continue
		}
		att := g.attachments(i)
		if slices.ContainsFunc(att, func(a int) bool { return exc[a] }) {
			sel[i] = false
			continue
		}
		if sel[i] || exc[i] || len(att) == 0 {
			continue
		}
		switch mode {
		case IndirectEager, IndirectCautious:
			sel[i] = joins(att, sel, mode == IndirectEager)
		case IndirectBuildable:
			sel[i] = joins(att, buildable, false)
		}
	}

	if len(opts.ResourceTypes) > 0 {
		for i, node := range g.nodes {
			if !slices.Contains(opts.ResourceTypes, node.ResourceType) {
				sel[i] = false
			}
		}
	}
	return Selection{IDs: g.idsOf(g.inOrder(sel)), Warnings: warnings}, nil
}

func parseAll(args []string) ([]Selector, error) {
	var out []Selector
	var errs []error
	for _, a := range args {
		s, err := ParseSelector(a)
		out = append(out, s...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// attachments are the positions of the nodes a test tests: AttachedTo, or
// DependsOn when AttachedTo is empty. Unknown IDs are ignored.
func (g *Graph) attachments(i int) []int {
	ids := g.nodes[i].AttachedTo
	if len(ids) == 0 {
		return g.parents[i]
	}
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if j, ok := g.index[id]; ok {
			out = append(out, j)
		}
	}
	return out
}

// union marks in set every node any of sels selects and returns a warning
// per selector that selects nothing.
func (g *Graph) union(sels []Selector, set []bool, mode IndirectMode) []string {
	var warnings []string
	for _, s := range sels {
		got := g.evalSelector(s, mode)
		empty := true
		for i, ok := range got {
			if ok {
				set[i] = true
				empty = false
			}
		}
		if empty {
			warnings = append(warnings, g.nothingWarning(s))
		}
	}
	return warnings
}

// evalSelector intersects the selector's criteria. As in dbt, each
// criterion of an intersection brings the tests of what it selects first
// (mode decides which), so "orders,test_type:unit" is the unit tests of
// orders rather than nothing.
func (g *Graph) evalSelector(s Selector, mode IndirectMode) []bool {
	var acc []bool
	for _, c := range s.Criteria {
		got := g.evalCriterion(c)
		if len(s.Criteria) > 1 {
			g.addTests(got, mode)
		}
		if acc == nil {
			acc = got
			continue
		}
		for i := range acc {
			acc[i] = acc[i] && got[i]
		}
	}
	return acc
}

// addTests adds to set the tests of the nodes in it: a test any of whose
// tested nodes is in set (eager) or all of them (cautious; buildable, whose
// ancestors rule needs the whole selection, counts as cautious here).
func (g *Graph) addTests(set []bool, mode IndirectMode) {
	if mode == IndirectEmpty {
		return
	}
	for i, node := range g.nodes {
		if node.ResourceType != "test" || set[i] {
			continue
		}
		att := g.attachments(i)
		if len(att) == 0 {
			continue
		}
		set[i] = joins(att, set, mode == IndirectEager)
	}
}

// joins reports whether a test of the nodes at att joins set: when any of
// them is in it (eager), or all of them.
func joins(att []int, set []bool, anyOf bool) bool {
	if anyOf {
		return slices.ContainsFunc(att, func(a int) bool { return set[a] })
	}
	return !slices.ContainsFunc(att, func(a int) bool { return !set[a] })
}

func (g *Graph) evalCriterion(c Criterion) []bool {
	n := len(g.nodes)
	base := g.match(c)
	var start []int
	for i, ok := range base {
		if ok {
			start = append(start, i)
		}
	}
	out := make([]bool, n)
	copy(out, base)
	if c.ChildrensParents {
		desc := make([]bool, n)
		g.expand(start, -1, g.children, desc)
		var all []int
		for i, ok := range desc {
			if ok {
				all = append(all, i)
			}
		}
		g.expand(all, -1, g.parents, out)
	}
	if c.Parents {
		g.expand(start, c.ParentsDepth, g.parents, out)
	}
	if c.Children {
		g.expand(start, c.ChildrenDepth, g.children, out)
	}
	return out
}

// match applies the criterion's method, without graph operators.
func (g *Graph) match(c Criterion) []bool {
	out := make([]bool, len(g.nodes))
	for i := range g.nodes {
		out[i] = matchNode(&g.nodes[i], c)
	}
	return out
}

func matchNode(n *Node, c Criterion) bool {
	v := c.Value
	switch c.Method {
	case MethodFQN:
		return matchFQN(n, v)
	case MethodTag:
		return slices.ContainsFunc(n.Tags, func(t string) bool { return glob(v, t) })
	case MethodPath:
		return matchPath(n.Path, v)
	case MethodFile:
		return n.Path != "" && (glob(v, path.Base(n.Path)) || glob(v, n.Path))
	case MethodConfig:
		got, ok := n.Config[c.Key]
		if !ok {
			return false
		}
		if glob(v, got) {
			return true
		}
		for el := range strings.SplitSeq(got, ",") {
			if glob(v, strings.TrimSpace(el)) {
				return true
			}
		}
		return false
	case MethodResourceType:
		return glob(v, n.ResourceType)
	case MethodState, MethodResult, MethodSourceStatus:
		return slices.Contains(n.marks[c.Method], v)
	case MethodTestType:
		switch v {
		case "data":
			return n.TestType == "data" || n.TestType == "generic" || n.TestType == "singular"
		default:
			return n.TestType == v
		}
	case MethodSource:
		if n.ResourceType != "source" {
			return false
		}
		src, table, hasTable := strings.Cut(v, ".")
		fromID := ""
		if rest, ok := strings.CutPrefix(n.ID, "source."); ok {
			if k := strings.LastIndexByte(rest, '.'); k > 0 {
				fromID = rest[:k]
			}
		}
		if !glob(src, n.Schema) && (fromID == "" || !glob(src, fromID)) {
			return false
		}
		return !hasTable || glob(table, n.Name)
	}
	return false
}

// matchFQN: a bare value matches the node's name or its schema (dbt selects a
// whole folder by its fqn prefix; here the schema plays that part); a dotted
// value matches "schema.name", the full ID, or the ID without its resource
// type prefix.
func matchFQN(n *Node, v string) bool {
	if !strings.Contains(v, ".") {
		return glob(v, n.Name) || (n.Schema != "" && glob(v, n.Schema))
	}
	if n.Schema != "" && glob(v, n.Schema+"."+n.Name) {
		return true
	}
	if glob(v, n.ID) {
		return true
	}
	if _, rest, ok := strings.Cut(n.ID, "."); ok && glob(v, rest) {
		return true
	}
	return false
}

// matchPath: the node's file, or any file under the folder; "." is the
// whole project. Wildcards match the whole path or a folder prefix.
func matchPath(p, v string) bool {
	if p == "" {
		return false
	}
	v = strings.ReplaceAll(v, "\\", "/")
	for strings.HasPrefix(v, "./") {
		v = v[2:]
	}
	v = strings.TrimRight(v, "/")
	if v == "" || v == "." {
		return true
	}
	if glob(v, p) {
		return true
	}
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if glob(v, dir) {
			return true
		}
	}
	return false
}

// glob matches s against pattern with "*" (any run, including none) and "?"
// (one character); everything else is literal. Unlike path.Match it never
// fails and "*" crosses "/" and ".", which is what selector users expect.
func glob(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// nothingWarning explains a selector that matched nothing, suggesting a close
// name for each name criterion that matched nothing on its own.
func (g *Graph) nothingWarning(s Selector) string {
	msg := fmt.Sprintf("selector %q matches no node", s.Raw)
	var hints []string
	for _, c := range s.Criteria {
		if slices.Contains(g.match(c), true) {
			continue
		}
		if hint := textutil.Suggest(c.Value, g.candidates(c)); hint != "" {
			hints = append(hints, strings.Replace(c.Raw, c.Value, hint, 1))
		}
	}
	if len(hints) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", strings.Join(hints, ","))
	}
	return msg
}

// candidates are the existing values a criterion's method could have named.
func (g *Graph) candidates(c Criterion) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, n := range g.nodes {
		switch c.Method {
		case MethodFQN:
			if strings.Contains(c.Value, ".") {
				if n.Schema != "" {
					add(n.Schema + "." + n.Name)
				}
			} else {
				add(n.Name)
				add(n.Schema)
			}
		case MethodTag:
			for _, t := range n.Tags {
				add(t)
			}
		case MethodResourceType:
			add(n.ResourceType)
		case MethodConfig:
			if v, ok := n.Config[c.Key]; ok {
				add(v)
			}
		case MethodSource:
			if n.ResourceType == "source" {
				add(n.Schema)
				add(n.Schema + "." + n.Name)
			}
		case MethodFile:
			if n.Path != "" {
				add(path.Base(n.Path))
			}
		case MethodPath:
			if n.Path != "" {
				add(n.Path)
				add(path.Dir(n.Path))
			}
		}
	}
	slices.Sort(out)
	return out
}
