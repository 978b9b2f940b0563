package project

import (
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

func nodeValue(n ast.Node, v *any) error { return yaml.NodeToValue(n, v) }
