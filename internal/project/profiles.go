package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// ProfilesFile is the name of the connection profiles file.
const ProfilesFile = "profiles.yml"

// ProfileOptions select a profile output.
type ProfileOptions struct {
	Dir    string                      // directory holding profiles.yml ("" = project root)
	Target string                      // output name ("" = the profile's default)
	Getenv func(string) (string, bool) // environment lookup for env_var
	// Engines decode each output's engine-specific keys.
	Engines *adapter.Registry
}

// commonOutputKeys are the output keys every engine has; the rest belong
// to the engine named by type.
var commonOutputKeys = []string{"type", "threads", "settings", "schema"}

// outputYAML is one output: its common keys, and the node for its engine.
type outputYAML struct {
	Type     string             `yaml:"type"`
	Threads  adapter.ProfileInt `yaml:"threads"`
	Settings map[string]string  `yaml:"settings"`
	Schema   string             `yaml:"schema"`
	node     ast.Node
}

func (o *outputYAML) UnmarshalYAML(node ast.Node) error {
	if _, ok := node.(*ast.MappingNode); !ok {
		return errors.New("an output is a mapping of keys (type, threads, settings and the engine's own)")
	}
	o.node = node
	return nil
}

// flatten returns m's key-values with merge keys (<<: *anchor) expanded
// from anchors, keys written in m overriding merged ones, as YAML merges.
func flatten(m *ast.MappingNode, anchors map[string]ast.Node, depth int) []*ast.MappingValueNode {
	var merged, own []*ast.MappingValueNode
	for _, kv := range m.Values {
		if _, ok := kv.Key.(*ast.MergeKeyNode); !ok || depth > 10 {
			own = append(own, kv)
			continue
		}
		var from []ast.Node
		switch v := kv.Value.(type) {
		case *ast.AliasNode:
			from = append(from, anchors[v.Value.String()])
		case *ast.SequenceNode:
			for _, x := range v.Values {
				if a, ok := x.(*ast.AliasNode); ok {
					from = append(from, anchors[a.Value.String()])
				}
			}
		default:
			from = append(from, kv.Value)
		}
		for _, f := range from {
			if a, ok := f.(*ast.AnchorNode); ok {
				f = a.Value
			}
			if fm, ok := f.(*ast.MappingNode); ok {
				merged = append(merged, flatten(fm, anchors, depth+1)...)
			}
		}
	}
	seen := map[string]bool{}
	for _, kv := range own {
		seen[kv.Key.String()] = true
	}
	out := own
	for _, kv := range merged {
		if !seen[kv.Key.String()] {
			seen[kv.Key.String()] = true
			out = append(out, kv)
		}
	}
	return out
}

// anchorsOf maps the anchor names of a YAML document to their nodes.
func anchorsOf(src []byte) map[string]ast.Node {
	anchors := map[string]ast.Node{}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return anchors
	}
	for _, doc := range f.Docs {
		ast.Walk(anchorVisitor(anchors), doc)
	}
	return anchors
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.String()] = a.Value
	}
	return v
}

type profileYAML struct {
	Target  string                 `yaml:"target"`
	Outputs map[string]*outputYAML `yaml:"outputs"`
}

// LoadTarget reads profiles.yml and returns the chosen output of the
// project's profile as an adapter target, its engine keys decoded by the
// engine of its type. Relative file paths are taken from the project root.
func (p *Project) LoadTarget(opts ProfileOptions) (adapter.Target, error) {
	t, err := p.loadTarget(opts)
	// The rendered file may hold passwords from the environment: point at
	// the line but never print it.
	for _, e := range diag.Flatten(err) {
		if d, ok := e.(*diag.Error); ok {
			d.Source = ""
			d.Err = nil
		}
	}
	return t, err
}

func (p *Project) loadTarget(opts ProfileOptions) (adapter.Target, error) {
	dir := opts.Dir
	if dir == "" {
		dir = p.Root
	}
	path := filepath.Join(dir, ProfilesFile)
	rel := p.rel(path)
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return adapter.Target{}, fmt.Errorf("%s not found; create it (see README) or pass --profiles-dir", rel)
		}
		return adapter.Target{}, err
	}
	src, err := renderProfile(rel, raw, opts.Getenv)
	if err != nil {
		return adapter.Target{}, err
	}
	var profiles map[string]profileYAML
	if err := decodeStrict(rel, src, &profiles, append([]string{"target", "outputs"}, commonOutputKeys...)); err != nil {
		return adapter.Target{}, err
	}
	prof, ok := profiles[p.Profile]
	if !ok {
		msg := fmt.Sprintf("profile %q (named in %s) is not defined", p.Profile, ProjectFile)
		if s := textutil.Suggest(p.Profile, sortedKeys(profiles)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return adapter.Target{}, &diag.Error{File: rel, Msg: msg}
	}
	name := opts.Target
	if name == "" {
		name = prof.Target
	}
	out, ok := prof.Outputs[name]
	if !ok || out == nil {
		msg := fmt.Sprintf("target %q is not an output of profile %q", name, p.Profile)
		if s := textutil.Suggest(name, sortedKeys(prof.Outputs)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		msg += "; outputs: " + strings.Join(sortedKeys(prof.Outputs), ", ")
		return adapter.Target{}, &diag.Error{File: rel, Msg: msg}
	}
	m := out.node.(*ast.MappingNode)
	flat := &ast.MappingNode{BaseNode: m.BaseNode, Start: m.Start, End: m.End, IsFlowStyle: m.IsFlowStyle,
		Values: flatten(m, anchorsOf(src), 0)}
	common := &ast.MappingNode{BaseNode: m.BaseNode, Start: m.Start, End: m.End, IsFlowStyle: m.IsFlowStyle}
	for _, kv := range flat.Values {
		if slices.Contains(commonOutputKeys, kv.Key.String()) {
			common.Values = append(common.Values, kv)
		}
	}
	type plain outputYAML
	if err := yaml.NodeToValue(common, (*plain)(out)); err != nil {
		return adapter.Target{}, yamlError(rel, src, err, commonOutputKeys)
	}
	t := adapter.Target{Name: name, Type: out.Type, Threads: int(out.Threads), Settings: out.Settings, Schema: out.Schema}
	if t.Threads <= 0 {
		t.Threads = 4
	}
	optSrc := &optionSource{p: p, file: rel, src: src, node: flat}
	var eng *adapter.Engine
	known := false
	if opts.Engines != nil {
		eng, known = opts.Engines.Lookup(out.Type)
	}
	if !known {
		supported := "none"
		if opts.Engines != nil {
			supported = strings.Join(opts.Engines.Names(), ", ")
		}
		msg := fmt.Sprintf("target %q has type %q; ingot supports %s", name, out.Type, supported)
		if opts.Engines != nil {
			if s := textutil.Suggest(out.Type, opts.Engines.Names()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
		}
		return t, optSrc.Errorf("type", "%s", msg)
	}
	if t.Options, err = eng.DecodeOptions(optSrc); err != nil {
		return t, err
	}
	return t, nil
}

// optionSource is one output of profiles.yml for an engine's DecodeOptions.
type optionSource struct {
	p    *Project
	file string
	src  []byte
	node *ast.MappingNode
}

func (o *optionSource) Decode(v any) error {
	own := &ast.MappingNode{BaseNode: o.node.BaseNode, Start: o.node.Start, End: o.node.End, IsFlowStyle: o.node.IsFlowStyle}
	for _, kv := range o.node.Values {
		if !slices.Contains(commonOutputKeys, kv.Key.String()) {
			own.Values = append(own.Values, kv)
		}
	}
	if err := yaml.NodeToValue(own, v, yaml.Strict()); err != nil {
		return yamlError(o.file, o.src, err, append(yamlKeys(v), commonOutputKeys...))
	}
	return nil
}

func (o *optionSource) Errorf(key, format string, args ...any) error {
	tk := o.node.GetToken()
	for _, kv := range o.node.Values {
		if kv.Key.String() == key {
			tk = kv.GetToken()
			if kv.Value != nil && kv.Value.GetToken() != nil {
				tk = kv.Value.GetToken()
			}
		}
	}
	if tk == nil {
		return &diag.Error{File: o.file, Msg: fmt.Sprintf(format, args...)}
	}
	return diag.At(o.file, o.src, tk.Position.Line, tk.Position.Column, format, args...)
}

func (o *optionSource) Path(path string) string {
	if path == "" || path == ":memory:" || filepath.IsAbs(path) || strings.Contains(path, "://") {
		return path
	}
	return filepath.Join(o.p.Root, filepath.FromSlash(path))
}

// yamlKeys lists the yaml tags of the struct v points at, for suggestions.
func yamlKeys(v any) []string {
	rt := reflect.TypeOf(v)
	for rt != nil && rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	if rt == nil || rt.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range rt.NumField() {
		if tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// renderProfile expands {{ env_var "NAME" "default" }} in profiles.yml.
func renderProfile(file string, raw []byte, getenv func(string) (string, bool)) ([]byte, error) {
	if !bytes.Contains(raw, []byte("{{")) {
		return raw, nil
	}
	if getenv == nil {
		getenv = os.LookupEnv
	}
	funcs := template.FuncMap{"env_var": func(name string, def ...string) (string, error) {
		if v, ok := getenv(name); ok {
			return v, nil
		}
		if len(def) > 0 {
			return def[0], nil
		}
		return "", fmt.Errorf("environment variable %s is not set and has no default", name)
	}}
	t, err := template.New(file).Funcs(funcs).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, diag.FromTemplate(err, file, func(string) []byte { return raw })
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, diag.FromTemplate(err, file, func(string) []byte { return raw })
	}
	return buf.Bytes(), nil
}
