package compile

import (
	"os"
	"path/filepath"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// ExposureDeps resolves each exposure's depends_on to node IDs; an entry
// naming no model, seed or source is an error at the exposure.
func (m *Manifest) ExposureDeps() (map[string][]string, error) {
	var errs diag.List
	out := map[string][]string{}
	for _, x := range m.Project.Exposures {
		for _, d := range x.DependsOn {
			fn, args := project.DependsOnCall(d)
			var n *Node
			var err error
			switch {
			case fn == "ref" && len(args) >= 1:
				n, err = m.lookup(args[len(args)-1])
			case fn == "source" && len(args) == 2:
				n, err = m.lookupSource(args[0], args[1])
			}
			if n == nil {
				src, _ := os.ReadFile(filepath.Join(m.Project.Root, filepath.FromSlash(x.File)))
				msg := "names no model, seed or source"
				if err != nil {
					msg = err.Error()
				}
				errs.Add(diag.At(x.File, src, x.Line, 0, "exposure %s: depends_on %s: %s", x.Name, d, msg))
				continue
			}
			out[x.Name] = append(out[x.Name], n.ID)
		}
	}
	return out, errs.Err()
}
