package project

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/diag"
)

// CheckAliases refuses YAML whose aliases expand to far more values than
// the text holds (a "billion laughs" file): go-yaml shares aliased values
// when decoding, but anything that walks them later — printing vars,
// toJson in a template — would expand them. The limit grows with the
// file, so ordinary reuse of an anchor is never refused. A file that does
// not parse is left to the decoder, which reports it with its position.
func CheckAliases(file string, src []byte) error {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil
	}
	limit := 100*len(src) + 100000
	c := aliasCounter{anchors: map[string]ast.Node{}, sizes: map[ast.Node]int{}, busy: map[ast.Node]bool{}, limit: limit}
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if c.size(doc.Body) > limit {
			line := 0
			if c.at != nil && c.at.GetToken() != nil {
				tk := c.at.GetToken()
				line = tk.Position.Line
			}
			return diag.At(file, src, line, 0, "YAML aliases expand to more than %d values (the limit for a file of this size): refused as an alias bomb; write the values out or use fewer nested aliases", limit)
		}
	}
	return nil
}

// aliasCounter computes the expanded size of YAML nodes, each anchored
// value once.
type aliasCounter struct {
	anchors map[string]ast.Node
	sizes   map[ast.Node]int
	busy    map[ast.Node]bool
	limit   int
	at      ast.Node // the alias where the limit was passed
}

func (c *aliasCounter) size(n ast.Node) int {
	if n == nil {
		return 0
	}
	if s, ok := c.sizes[n]; ok {
		return s
	}
	if c.busy[n] {
		return 1 // an alias inside its own anchor: the decoder reports it
	}
	c.busy[n] = true
	defer delete(c.busy, n)
	total := 1
	add := func(m ast.Node) {
		if total <= c.limit {
			total += c.size(m)
			if total > c.limit && c.at == nil {
				c.at = m
			}
		}
	}
	switch x := n.(type) {
	case *ast.AnchorNode:
		if x.Name != nil {
			c.anchors[x.Name.String()] = x.Value
		}
		add(x.Value)
	case *ast.AliasNode:
		if x.Value != nil {
			if a, ok := c.anchors[x.Value.String()]; ok {
				add(a)
			}
		}
	case *ast.MappingNode:
		for _, v := range x.Values {
			add(v)
		}
	case *ast.MappingValueNode:
		add(x.Key)
		add(x.Value)
	case *ast.SequenceNode:
		for _, v := range x.Values {
			add(v)
		}
	case *ast.TagNode:
		add(x.Value)
	case *ast.DocumentNode:
		add(x.Body)
	}
	if _, ok := n.(*ast.AliasNode); !ok {
		c.sizes[n] = total
	}
	return total
}

// DecodeVars decodes a --vars argument: a YAML mapping, aliases bounded
// as in files. Errors are one line, meant for the command line.
func DecodeVars(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := CheckAliases("--vars", []byte(s)); err != nil {
		var d *diag.Error
		if errors.As(err, &d) {
			return nil, fmt.Errorf("--vars: %s", d.Msg)
		}
		return nil, fmt.Errorf("--vars: %w", err)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("--vars must be a YAML mapping like '{as_of: 2024-01-01}': %s", firstLine(err.Error()))
	}
	return v, nil
}
