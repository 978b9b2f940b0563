package project

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// Property files are most of the YAML of a large project. Decoding them
// with go-yaml's reflective decoder converted every document twice and
// recomputed struct metadata for every value, so they are parsed once
// and the syntax tree is walked by hand into the property structs, with
// the same rules: unknown keys are errors, null means unset, scalars are
// accepted where a string is expected, free-form values (config, meta,
// rows, vars, test arguments) become plain Go values as go-yaml makes
// them.

// maxValueDepth bounds nesting of free-form values, as go-yaml does.
const maxValueDepth = 10000

// maxErrors is how many problems one file reports before giving up.
const maxErrors = 25

// propsDecoder walks one property file.
type propsDecoder struct {
	file    string
	src     []byte
	anchors map[string]ast.Node // anchor name → anchored node
	values  map[string]any      // anchor name → converted free-form value
	busy    map[string]bool     // anchors being converted (self references)
	depth   int
	// budget bounds the nodes visited: aliases and merge keys can make a
	// small file expand exponentially.
	budget int
	spent  bool
	errs   diag.List
}

// spend takes one unit of work from the budget, reporting at n the first
// time it runs out.
func (d *propsDecoder) spend(n ast.Node) bool {
	if d.spent {
		return false
	}
	d.budget--
	if d.budget < 0 {
		d.spent = true
		d.errorAt(n, "aliases and merge keys expand to too large a value")
		return false
	}
	return true
}

// where names the place of a value in messages: a key ("description"),
// an entry of a list ("an entry of "models"") or, with no key, the file.
type where struct {
	key   string
	entry bool
}

func (w where) String() string {
	switch {
	case w.key == "":
		return "a property file"
	case w.entry:
		return fmt.Sprintf("an entry of %q", w.key)
	}
	return strconv.Quote(w.key)
}

func at(key string) where { return where{key: key} }

// decodeProps decodes a property file. All problems in the file are
// returned together.
func decodeProps(file string, src []byte) (propsFileYAML, error) {
	if body, ok := fastParse(src); ok {
		if pf, err := decodeFast(file, src, body); err == nil {
			return pf, nil
		}
		// Problems are reported from go-yaml's own tree, where they have
		// always been found.
	}
	return decodePropsYAML(file, src)
}

// decodeFast decodes the tree fastParse made of src.
func decodeFast(file string, src []byte, body ast.Node) (propsFileYAML, error) {
	d := &propsDecoder{file: file, src: src, budget: 100*len(src) + 100000}
	var pf propsFileYAML
	d.propsFile(body, &pf)
	return pf, d.errs.Err()
}

// decodePropsYAML is decodeProps with go-yaml's parser.
func decodePropsYAML(file string, src []byte) (propsFileYAML, error) {
	var pf propsFileYAML
	if len(bytes.TrimSpace(src)) == 0 {
		return pf, nil
	}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return pf, yamlError(file, src, err, allPropKeys)
	}
	d := &propsDecoder{file: file, src: src, budget: 100*len(src) + 100000}
	// Only the first document is read, as yaml.Unmarshal does; like it,
	// documents with no value (only a tag, say) are skipped.
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		switch doc.Body.(type) {
		case *ast.TagNode, *ast.AnchorNode, *ast.AliasNode:
			if d.value(doc.Body) == nil {
				continue
			}
		}
		body = doc.Body
		break
	}
	if body == nil {
		return pf, d.errs.Err()
	}
	if isNull(d.resolve(body)) {
		d.errorAt(body, "a property file must be a mapping of models, seeds, sources and unit_tests, not null")
		return pf, d.errs.Err()
	}
	d.propsFile(body, &pf)
	return pf, d.errs.Err()
}

func (d *propsDecoder) propsFile(n ast.Node, pf *propsFileYAML) {
	d.mapping(n, where{}, func(key string, v ast.Node) bool {
		switch key {
		case "version":
			pf.Version = d.value(v)
		case "models":
			pf.Models = list(d, v, key, d.nodeProps)
		case "seeds":
			pf.Seeds = list(d, v, key, d.nodeProps)
		case "sources":
			pf.Sources = list(d, v, key, d.source)
		case "unit_tests":
			pf.UnitTests = list(d, v, key, d.unitTest)
		case "snapshots":
			pf.Snapshots = list(d, v, key, d.snapshotProps)
		case "macros":
			pf.Macros = list(d, v, key, func(n ast.Node, _ where) any { return d.value(n) })
		case "exposures":
			pf.Exposures = list(d, v, key, d.exposure)
		default:
			return false
		}
		return true
	})
}

func (d *propsDecoder) nodeProps(n ast.Node, what where) nodePropsYAML {
	var e nodePropsYAML
	d.mapping(n, what, func(key string, v ast.Node) bool { return d.nodePropKey(&e, key, v) })
	return e
}

// nodePropKey decodes one key of a model's, seed's or snapshot's entry;
// false when key is not one of theirs.
func (d *propsDecoder) nodePropKey(e *nodePropsYAML, key string, v ast.Node) bool {
	switch key {
	case "name":
		e.Name = d.node(v)
	case "description":
		e.Description = d.str(v, at(key))
	case "config":
		e.Config = d.anyMap(v, at(key))
	case "columns":
		e.Columns = list(d, v, key, d.column)
	case "tests":
		e.Tests = list(d, v, key, d.nodeEntry)
	case "data_tests":
		e.DataTests = list(d, v, key, d.nodeEntry)
	case "meta":
		e.Meta = d.anyMap(v, at(key))
	case "tags":
		e.Tags = list(d, v, key, d.str)
	case "docs":
		e.Docs = d.value(v)
	default:
		return false
	}
	return true
}

func (d *propsDecoder) column(n ast.Node, what where) columnYAML {
	var c columnYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "name":
			c.Name = d.str(v, at(key))
		case "description":
			c.Description = d.str(v, at(key))
		case "data_type":
			c.DataType = d.str(v, at(key))
		case "tests":
			c.Tests = list(d, v, key, d.nodeEntry)
		case "data_tests":
			c.DataTests = list(d, v, key, d.nodeEntry)
		case "meta":
			c.Meta = d.anyMap(v, at(key))
		case "tags":
			c.Tags = list(d, v, key, d.str)
		case "quote":
			c.Quote = d.value(v)
		case "constraints":
			c.Constraints = d.value(v)
		default:
			return false
		}
		return true
	})
	return c
}

func (d *propsDecoder) source(n ast.Node, what where) sourceYAML {
	var s sourceYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "name":
			s.Name = d.node(v)
		case "description":
			s.Description = d.str(v, at(key))
		case "schema":
			s.Schema = d.str(v, at(key))
		case "database":
			s.Database = d.str(v, at(key))
		case "loader":
			s.Loader = d.str(v, at(key))
		case "meta":
			s.Meta = d.anyMap(v, at(key))
		case "tags":
			s.Tags = list(d, v, key, d.str)
		case "config":
			s.Config = d.anyMap(v, at(key))
		case "tables":
			s.Tables = list(d, v, key, d.sourceTable)
		case "freshness":
			s.Freshness = d.value(v)
		case "loaded_at_field":
			s.LoadedAtField = d.str(v, at(key))
		default:
			return false
		}
		return true
	})
	return s
}

func (d *propsDecoder) exposure(n ast.Node, what where) exposureYAML {
	var x exposureYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "name":
			x.Name = d.node(v)
		case "label":
			x.Label = d.str(v, at(key))
		case "type":
			x.Type = d.str(v, at(key))
		case "maturity":
			x.Maturity = d.str(v, at(key))
		case "url":
			x.URL = d.str(v, at(key))
		case "description":
			x.Description = d.str(v, at(key))
		case "depends_on":
			x.DependsOn = list(d, v, key, func(n ast.Node, _ where) Node { return d.node(n) })
		case "owner":
			x.Owner = d.anyMap(v, at(key))
		case "tags":
			x.Tags = list(d, v, key, d.str)
		case "meta":
			x.Meta = d.anyMap(v, at(key))
		case "config":
			x.Config = d.anyMap(v, at(key))
		default:
			return false
		}
		return true
	})
	return x
}

func (d *propsDecoder) sourceTable(n ast.Node, what where) sourceTableYAML {
	var t sourceTableYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "name":
			t.Name = d.node(v)
		case "identifier":
			t.Identifier = d.str(v, at(key))
		case "description":
			t.Description = d.str(v, at(key))
		case "columns":
			t.Columns = list(d, v, key, d.column)
		case "tests":
			t.Tests = list(d, v, key, d.nodeEntry)
		case "data_tests":
			t.DataTests = list(d, v, key, d.nodeEntry)
		case "meta":
			t.Meta = d.anyMap(v, at(key))
		case "tags":
			t.Tags = list(d, v, key, d.str)
		case "loaded_at_field":
			t.LoadedAtField = d.str(v, at(key))
		case "freshness":
			t.Freshness = d.value(v)
		default:
			return false
		}
		return true
	})
	return t
}

func (d *propsDecoder) unitTest(n ast.Node, what where) unitTestYAML {
	var u unitTestYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "name":
			u.Name = d.node(v)
		case "model":
			u.Model = d.str(v, at(key))
		case "description":
			u.Description = d.str(v, at(key))
		case "given":
			u.Given = list(d, v, key, d.unitGiven)
		case "expect":
			d.mapping(v, at(key), func(key string, v ast.Node) bool {
				switch key {
				case "format":
					u.Expect.Format = d.str(v, at(key))
				case "rows":
					u.Expect.Rows = d.value(v)
				case "ordered":
					u.Expect.Ordered = d.boolean(v, at(key))
				default:
					return false
				}
				return true
			})
		case "overrides":
			d.mapping(v, at(key), func(key string, v ast.Node) bool {
				switch key {
				case "vars":
					u.Overrides.Vars = d.anyMap(v, at(key))
				case "macros":
					u.Overrides.Macros = d.anyMap(v, at(key))
				case "is_incremental":
					u.Overrides.IsIncremental = d.boolean(v, at(key))
				case "this":
					u.Overrides.This = d.value(v)
				default:
					return false
				}
				return true
			})
		case "config":
			d.mapping(v, at(key), func(key string, v ast.Node) bool {
				switch key {
				case "tags":
					u.Config.Tags = list(d, v, key, d.str)
				case "meta":
					u.Config.Meta = d.anyMap(v, at(key))
				default:
					return false
				}
				return true
			})
		default:
			return false
		}
		return true
	})
	return u
}

func (d *propsDecoder) unitGiven(n ast.Node, what where) unitGivenYAML {
	var g unitGivenYAML
	d.mapping(n, what, func(key string, v ast.Node) bool {
		switch key {
		case "input":
			g.Input = d.node(v)
		case "format":
			g.Format = d.str(v, at(key))
		case "rows":
			g.Rows = d.value(v)
		default:
			return false
		}
		return true
	})
	return g
}

// errorAt records a problem located at n's first token.
func (d *propsDecoder) errorAt(n ast.Node, format string, args ...any) {
	switch {
	case len(d.errs) > maxErrors:
		return
	case len(d.errs) == maxErrors:
		d.errs.Add(&diag.Error{File: d.file, Msg: fmt.Sprintf("more than %d problems; only the first %d are shown", maxErrors, maxErrors)})
		return
	}
	line, col := 0, 0
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			line, col = tk.Position.Line, tk.Position.Column
		}
	}
	msg := fmt.Sprintf(format, args...)
	// A value used through several aliases is checked each time.
	for _, e := range d.errs {
		if e, ok := e.(*diag.Error); ok && e.Line == line && e.Col == col && e.Msg == msg {
			return
		}
	}
	d.errs.Add(diag.At(d.file, d.src, line, col, "%s", msg))
}

// resolve follows aliases and steps over anchors (recording them), so
// callers see the node that holds the value. A missing anchor is
// reported and gives nil.
func (d *propsDecoder) resolve(n ast.Node) ast.Node {
	if !d.spend(n) {
		return nil
	}
	for range maxValueDepth {
		switch x := n.(type) {
		case *ast.AnchorNode:
			d.setAnchor(x)
			n = x.Value
		case *ast.AliasNode:
			name := aliasName(x)
			target, ok := d.anchors[name]
			if !ok {
				d.errorAt(x.Value, "could not find alias %q", name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	d.errorAt(n, "aliases nest too deeply")
	return nil
}

func (d *propsDecoder) setAnchor(a *ast.AnchorNode) {
	if d.anchors == nil {
		d.anchors = map[string]ast.Node{}
	}
	name := anchorName(a)
	d.anchors[name] = a.Value
	delete(d.values, name)
}

func anchorName(a *ast.AnchorNode) string {
	if a.Name == nil {
		return ""
	}
	if tk := a.Name.GetToken(); tk != nil {
		return tk.Value
	}
	return a.Name.String()
}

func aliasName(a *ast.AliasNode) string {
	if a.Value == nil {
		return ""
	}
	return a.Value.String()
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// entries returns the key/value pairs of a mapping node, or false when
// n is not a mapping.
func entries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}, true
	case *ast.TagNode:
		if token.ReservedTagKeyword(tagName(x)) == token.MappingTag {
			return entries(x.Value)
		}
	}
	return nil, false
}

func tagName(t *ast.TagNode) string {
	if t.Start == nil {
		return ""
	}
	return t.Start.Value
}

// mapping calls f for each key of the mapping n, merge keys (<<) included;
// f reports whether it knows the key. Unknown and repeated keys are
// errors, null is an empty mapping, anything else is an error naming
// what (e.g. `"expect"` or `an entry of "models"`).
func (d *propsDecoder) mapping(n ast.Node, what where, f func(key string, v ast.Node) bool) {
	var seen []string // a handful of keys: a slice beats a map
	d.mappingInto(n, what, f, &seen, 0)
}

func (d *propsDecoder) mappingInto(n ast.Node, what where, f func(key string, v ast.Node) bool, seen *[]string, depth int) {
	orig := n
	n = d.resolve(n)
	if isNull(n) {
		return
	}
	kvs, ok := entries(n)
	if !ok {
		d.errorAt(orig, "%s must be a mapping, not %s", what, kind(n))
		return
	}
	for _, kv := range kvs {
		if kv == nil || kv.Key == nil {
			continue
		}
		if kv.Key.IsMergeKey() {
			if depth > 100 {
				d.errorAt(kv.Key, "merge keys nest too deeply")
				continue
			}
			for _, m := range d.mergeSources(kv.Value) {
				d.mappingInto(m, what, f, seen, depth+1)
			}
			continue
		}
		kv0 := d.value(kv.Key)
		key, isString := kv0.(string)
		if !isString {
			key = fmt.Sprint(kv0)
		}
		dup := false
		for _, s := range *seen {
			if s == key {
				dup = true
				break
			}
		}
		if dup {
			d.errorAt(kv.Key, "duplicate key %q", key)
			continue
		}
		*seen = append(*seen, key)
		if !isString || !f(key, kv.Value) {
			d.errorAt(kv.Key, "%s", unknownKeyMsg(key, allPropKeys))
		}
	}
}

// mergeSources returns the mappings a merge key's value names: one
// mapping or a list of them.
func (d *propsDecoder) mergeSources(v ast.Node) []ast.Node {
	r := d.resolve(v)
	if seq, ok := r.(*ast.SequenceNode); ok {
		return seq.Values
	}
	return []ast.Node{v}
}

// unknownKeyMsg says key is not known, suggesting the closest known key.
// known may hold keys of other levels, key itself among them: it is not
// suggested back.
func unknownKeyMsg(key string, known []string) string {
	if slices.Contains(known, key) {
		known = slices.DeleteFunc(slices.Clone(known), func(k string) bool { return k == key })
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if s := textutil.Suggest(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else if len(known) > 0 {
		msg += " (known keys: " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// list decodes a sequence with elem; null is an empty (nil) list.
func list[T any](d *propsDecoder, n ast.Node, key string, elem func(ast.Node, where) T) []T {
	orig := n
	n = d.resolve(n)
	if isNull(n) {
		return nil
	}
	if t, ok := n.(*ast.TagNode); ok && token.ReservedTagKeyword(tagName(t)) == token.SequenceTag {
		n = d.resolve(t.Value)
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorAt(orig, "%q must be a list, not %s", key, kind(n))
		return nil
	}
	out := make([]T, 0, len(seq.Values))
	what := where{key: key, entry: true}
	for _, v := range seq.Values {
		out = append(out, elem(v, what))
	}
	return out
}

// nodeEntry is a list element kept with its position.
func (d *propsDecoder) nodeEntry(n ast.Node, _ where) Node { return d.node(n) }

// node keeps a free-form value with the position where it starts; null
// gives the zero Node.
func (d *propsDecoder) node(n ast.Node) Node {
	n = d.resolve(n)
	if isNull(n) {
		return Node{}
	}
	var pos Pos
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		pos = Pos{Line: tk.Position.Line, Col: tk.Position.Column}
	}
	return Node{Value: d.value(n), Pos: pos}
}

// str reads a string; other scalars are taken as written (5 → "5").
func (d *propsDecoder) str(n ast.Node, what where) string {
	r := d.resolve(n)
	if isNull(r) {
		return ""
	}
	switch r.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		d.errorAt(n, "%s must be a string, not %s", what, kind(r))
		return ""
	}
	s, ok := scalarString(d.value(r))
	if !ok {
		d.errorAt(n, "%s must be a string, not %s", what, kind(r))
	}
	return s
}

// scalarString renders a scalar value where a string is expected, as
// go-yaml's decoder does; ok is false for other values.
func scalarString(v any) (s string, ok bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case []byte:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

// boolean reads true or false; null is false.
func (d *propsDecoder) boolean(n ast.Node, what where) bool {
	r := d.resolve(n)
	if isNull(r) {
		return false
	}
	switch v := d.value(r).(type) {
	case nil:
		return false
	case bool:
		return v
	}
	d.errorAt(n, "%s must be true or false, not %s", what, kind(r))
	return false
}

// anyMap reads a mapping of free-form values; null is a nil map. Null
// keys read as "" and repeated keys (through merge keys) are errors.
func (d *propsDecoder) anyMap(n ast.Node, what where) map[string]any {
	r := d.resolve(n)
	if isNull(r) {
		return nil
	}
	kvs, ok := entries(r)
	if !ok {
		d.errorAt(n, "%s must be a mapping, not %s", what, kind(r))
		return nil
	}
	m := make(map[string]any, len(kvs))
	d.anyMapInto(m, kvs, what, 0)
	return m
}

func (d *propsDecoder) anyMapInto(m map[string]any, kvs []*ast.MappingValueNode, what where, depth int) {
	for _, kv := range kvs {
		if kv == nil || kv.Key == nil {
			continue
		}
		if kv.Key.IsMergeKey() {
			if depth > 100 {
				d.errorAt(kv.Key, "merge keys nest too deeply")
				continue
			}
			for _, src := range d.mergeSources(kv.Value) {
				r := d.resolve(src)
				sub, ok := entries(r)
				if !ok {
					d.errorAt(src, "a merge key (<<) in %s must name a mapping, not %s", what, kind(r))
					continue
				}
				d.anyMapInto(m, sub, what, depth+1)
			}
			continue
		}
		name, ok := scalarString(d.value(kv.Key))
		if !ok {
			d.errorAt(kv.Key, "a key in %s must be a string, not %s", what, kind(d.resolve(kv.Key)))
			continue
		}
		if _, dup := m[name]; dup {
			d.errorAt(kv.Key, "duplicate key %q", name)
			continue
		}
		m[name] = d.value(kv.Value)
	}
}

// kind names a node's type for messages.
func kind(n ast.Node) string {
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.TagNode:
		return "a value tagged " + tagName(x)
	}
	return "a " + n.Type().String()
}

// value converts n to a plain Go value exactly as go-yaml's NodeToValue
// does: nil, string, int64/uint64, float64, bool, map[string]any, []any
// (plus the types of explicit tags). Aliases reuse their anchor's value.
func (d *propsDecoder) value(n ast.Node) any {
	d.depth++
	v := d.valueOf(n)
	d.depth--
	return v
}

func (d *propsDecoder) valueOf(n ast.Node) any {
	if !d.spend(n) {
		return nil
	}
	if d.depth > maxValueDepth {
		d.errorAt(n, "value nests too deeply")
		return nil
	}
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.StringNode:
		return x.GetValue()
	case *ast.IntegerNode:
		return x.GetValue()
	case *ast.FloatNode:
		return x.GetValue()
	case *ast.BoolNode:
		return x.GetValue()
	case *ast.InfinityNode:
		return x.GetValue()
	case *ast.NanNode:
		return x.GetValue()
	case *ast.LiteralNode:
		if x.Value == nil {
			return ""
		}
		return x.Value.GetValue()
	case *ast.TagNode:
		return d.tagged(x)
	case *ast.AnchorNode:
		name := anchorName(x)
		d.setAnchor(x)
		if d.busy == nil {
			d.busy = map[string]bool{}
		}
		d.busy[name] = true
		v := d.value(x.Value)
		delete(d.busy, name)
		if d.values == nil {
			d.values = map[string]any{}
		}
		d.values[name] = v
		return v
	case *ast.AliasNode:
		name := aliasName(x)
		if d.busy[name] {
			return nil // an anchor used inside itself
		}
		if v, ok := d.values[name]; ok {
			return v
		}
		target, ok := d.anchors[name]
		if !ok {
			d.errorAt(x.Value, "could not find alias %q", name)
			return nil
		}
		if d.busy == nil {
			d.busy = map[string]bool{}
		}
		d.busy[name] = true
		v := d.value(target)
		delete(d.busy, name)
		if d.values == nil {
			d.values = map[string]any{}
		}
		d.values[name] = v
		return v
	case *ast.MappingKeyNode:
		return d.value(x.Value)
	case *ast.MappingValueNode:
		m := map[string]any{}
		d.setMapValue(m, x)
		return m
	case *ast.MappingNode:
		m := make(map[string]any, len(x.Values))
		for _, kv := range x.Values {
			d.setMapValue(m, kv)
		}
		return m
	case *ast.SequenceNode:
		out := make([]any, 0, len(x.Values))
		for _, v := range x.Values {
			out = append(out, d.value(v))
		}
		return out
	}
	return nil
}

// setMapValue adds one key/value (or the pairs a merge key names) to m;
// later keys win.
func (d *propsDecoder) setMapValue(m map[string]any, kv *ast.MappingValueNode) {
	if kv == nil || kv.Key == nil {
		return
	}
	if kv.Key.IsMergeKey() {
		if d.depth > maxValueDepth {
			d.errorAt(kv.Key, "merge keys nest too deeply")
			return
		}
		d.depth++
		for _, src := range d.mergeSources(kv.Value) {
			r := d.resolve(src)
			sub, ok := entries(r)
			if !ok {
				d.errorAt(src, "a merge key (<<) must name a mapping, not %s", kind(r))
				continue
			}
			for _, s := range sub {
				d.setMapValue(m, s)
			}
		}
		d.depth--
		return
	}
	var key string
	switch k := d.value(kv.Key).(type) {
	case nil:
		key = "null"
	case string:
		key = k
	default:
		key = fmt.Sprint(k)
	}
	m[key] = d.value(kv.Value)
}

// tagged converts an explicitly tagged value as go-yaml does.
func (d *propsDecoder) tagged(t *ast.TagNode) any {
	if t.Directive != nil {
		v := d.value(t.Value)
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	switch token.ReservedTagKeyword(tagName(t)) {
	case token.TimestampTag:
		return toTime(d.value(t.Value))
	case token.IntegerTag:
		i, _ := strconv.Atoi(fmt.Sprint(d.value(t.Value)))
		return i
	case token.FloatTag:
		return toFloat(d.value(t.Value))
	case token.NullTag:
		return nil
	case token.BinaryTag:
		v := d.value(t.Value)
		s, ok := v.(string)
		if !ok {
			d.errorAt(t.Value, "cannot convert %q to string", fmt.Sprint(v))
			return nil
		}
		b, _ := base64.StdEncoding.DecodeString(s)
		return b
	case token.BooleanTag:
		v := d.value(t.Value)
		s := strings.ToLower(fmt.Sprint(v))
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
		switch s {
		case "yes":
			return true
		case "no":
			return false
		}
		d.errorAt(t.Value, "cannot convert %q to boolean", fmt.Sprint(v))
		return nil
	case token.StringTag:
		v := d.value(t.Value)
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	return d.value(t.Value)
}

// timestampFormats are the !!timestamp layouts go-yaml accepts.
var timestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func toTime(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		for _, layout := range timestampFormats {
			if t, err := time.Parse(layout, x); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
