package project

import (
	"bytes"
	"errors"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"

	"github.com/ingot-dev/ingot/internal/diag"
)

// yamlError turns a go-yaml error into a located diagnostic. Unknown keys
// get a "did you mean" taken from known.
func yamlError(file string, src []byte, err error, known []string) error {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return &diag.Error{File: file, Msg: "invalid YAML: " + firstLine(err.Error()), Err: err}
	}
	pos := ye.GetToken().Position
	msg := ye.GetMessage()
	var uf *yaml.UnknownFieldError
	if errors.As(err, &uf) {
		msg = unknownKeyMsg(unknownField(msg), known)
	}
	d := diag.At(file, src, pos.Line, pos.Column, "%s", msg)
	d.Err = err
	return d
}

var unknownFieldRe = regexp.MustCompile(`unknown field "([^"]*)"`)

func unknownField(msg string) string {
	if m := unknownFieldRe.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return msg
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// decodeStrict decodes src into v rejecting unknown keys.
func decodeStrict(file string, src []byte, v any, known []string) error {
	if len(bytes.TrimSpace(src)) == 0 {
		return nil
	}
	if err := CheckAliases(file, src); err != nil {
		return err
	}
	if err := unmarshalStrict(file, src, v); err != nil {
		var d *diag.Error
		if errors.As(err, &d) {
			return err // located already
		}
		return yamlError(file, src, err, known)
	}
	return nil
}

// unmarshalStrict is go-yaml's strict Unmarshal, with a panic of the
// decoder turned into an error at the first tag: go-yaml 1.19 panics on a
// tagged scalar where a list is expected (model-paths: !!str models).
func unmarshalStrict(file string, src []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			line, col := 1, 1
			for _, tk := range lexer.Tokenize(string(src)) {
				if tk.Type == token.TagType {
					line, col = tk.Position.Line, tk.Position.Column
					break
				}
			}
			err = diag.At(file, src, line, col, "cannot decode this value: write a list without a YAML tag (!…) where a list is expected, like [a, b]")
		}
	}()
	return yaml.UnmarshalWithOptions(src, v, yaml.Strict())
}

// Pos records where a YAML value starts.
type Pos struct {
	Line int
	Col  int
}

// Node is a YAML value decoded loosely (into any) that remembers its
// position, for entries whose shape is checked later (tests, configs).
type Node struct {
	Value any
	Pos   Pos
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (n *Node) UnmarshalYAML(node ast.Node) error {
	if tk := node.GetToken(); tk != nil {
		n.Pos = Pos{Line: tk.Position.Line, Col: tk.Position.Column}
	}
	return yaml.NodeToValue(node, &n.Value)
}
