package project

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/ingot-dev/ingot/internal/diag"
)

// exposureTypes are dbt's exposure types.
var exposureTypes = []string{"dashboard", "notebook", "analysis", "ml", "application"}

var dependsOnRe = regexp.MustCompile(`^\s*(ref|source)\(\s*(.*?)\s*\)\s*$`)

func (p *Project) addExposure(file string, src []byte, x exposureYAML) error {
	var errs diag.List
	name := fmt.Sprint(x.Name.Value)
	if x.Name.Value == nil || name == "" {
		errs.Add(diag.At(file, src, x.Name.Pos.Line, x.Name.Pos.Col, "an exposure needs a name"))
		return errs.Err()
	}
	if !slices.Contains(exposureTypes, x.Type) {
		errs.Add(diag.At(file, src, x.Name.Pos.Line, x.Name.Pos.Col, "exposure %s: type must be one of %s, not %q", name, strings.Join(exposureTypes, ", "), x.Type))
	}
	e := &Exposure{Name: name, Label: x.Label, Type: x.Type, Maturity: x.Maturity, URL: x.URL,
		Description: x.Description, Owner: x.Owner, Tags: x.Tags, File: file, Line: x.Name.Pos.Line}
	for _, d := range x.DependsOn {
		s := fmt.Sprint(d.Value)
		if !dependsOnRe.MatchString(s) {
			errs.Add(diag.At(file, src, d.Pos.Line, d.Pos.Col, "exposure %s: depends_on entries are ref('model') or source('source', 'table'), not %q", name, s))
			continue
		}
		e.DependsOn = append(e.DependsOn, s)
	}
	for _, prev := range p.Exposures {
		if prev.Name == name {
			errs.Add(diag.At(file, src, x.Name.Pos.Line, x.Name.Pos.Col, "exposure %s is already declared in %s:%d", name, prev.File, prev.Line))
			return errs.Err()
		}
	}
	p.Exposures = append(p.Exposures, e)
	return errs.Err()
}

// DependsOnCall splits a depends_on entry into ref or source and its
// arguments.
func DependsOnCall(s string) (string, []string) {
	m := dependsOnRe.FindStringSubmatch(s)
	if m == nil {
		return "", nil
	}
	var args []string
	for _, a := range strings.Split(m[2], ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `'"`))
	}
	return m[1], args
}

var docsBlockRe = regexp.MustCompile(`(?s)\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}`)

var docCallRe = regexp.MustCompile(`\{\{-?\s*doc\s*\(?\s*["']([^"']+)["']\s*\)?\s*-?\}\}`)

// loadDocs reads the {% docs %} blocks of .md files under the model paths.
func (p *Project) loadDocs() error {
	paths, err := p.walkFiles(p.ModelPaths, func(n string) bool { return strings.HasSuffix(n, ".md") })
	if err != nil {
		return err
	}
	var errs diag.List
	p.Docs = map[string]string{}
	where := map[string]string{}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel := p.rel(path)
		for _, m := range docsBlockRe.FindAllSubmatchIndex(src, -1) {
			name := string(src[m[2]:m[3]])
			line := strings.Count(string(src[:m[0]]), "\n") + 1
			if prev, dup := where[name]; dup {
				errs.Add(diag.At(rel, src, line, 0, "docs block %s is already defined in %s", name, prev))
				continue
			}
			where[name] = fmt.Sprintf("%s:%d", rel, line)
			p.Docs[name] = strings.TrimSpace(string(src[m[4]:m[5]]))
		}
	}
	return errs.Err()
}

// renderDocs replaces {{ doc("name") }} in every description with its
// docs block; an unknown name is an error at the entry that uses it.
func (p *Project) renderDocs() error {
	var errs diag.List
	render := func(file string, line int, s *string) {
		if !strings.Contains(*s, "doc") {
			return
		}
		*s = docCallRe.ReplaceAllStringFunc(*s, func(call string) string {
			name := docCallRe.FindStringSubmatch(call)[1]
			text, ok := p.Docs[name]
			if !ok {
				src, _ := os.ReadFile(p.Root + "/" + file)
				errs.Add(diag.At(file, src, line, 0, "doc(%q): no {%% docs %s %%} block in a .md file under %s", name, name, strings.Join(p.ModelPaths, ", ")))
				return call
			}
			return text
		})
	}
	props := func(pr *Properties) {
		if pr == nil {
			return
		}
		render(pr.File, pr.Line, &pr.Description)
		for i := range pr.Columns {
			render(pr.File, pr.Line, &pr.Columns[i].Description)
		}
	}
	for _, m := range p.Models {
		props(m.Props)
	}
	for _, s := range p.Seeds {
		props(s.Props)
	}
	for _, s := range p.Sources {
		props(s.Props)
	}
	for _, x := range p.Exposures {
		render(x.File, x.Line, &x.Description)
	}
	return errs.Err()
}
