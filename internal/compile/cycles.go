package compile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/graph"
)

// cycleError reports each cycle as a path of model names with their files.
func (m *Manifest) cycleError(err error) error {
	var ce *graph.CycleError
	if !errors.As(err, &ce) {
		return err
	}
	var errs diag.List
	for _, cyc := range ce.Cycles {
		names := make([]string, len(cyc))
		var files []string
		for i, id := range cyc {
			n := m.Nodes[id]
			if n == nil {
				names[i] = id
				continue
			}
			names[i] = n.Name
			if i < len(cyc)-1 || cyc[0] != cyc[len(cyc)-1] {
				files = append(files, "  "+n.Name+": "+n.Path)
			}
		}
		first := m.Nodes[cyc[0]]
		file := ""
		if first != nil {
			file = first.Path
		}
		errs.Add(&diag.Error{File: file, Msg: fmt.Sprintf("dependency cycle: %s\n%s", strings.Join(names, " -> "), strings.Join(files, "\n"))})
	}
	return errs.Err()
}
