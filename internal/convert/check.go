package convert

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/datatest"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// check loads and compiles the converted project as a build would, and
// lists what ingot rejects that the translation did not already list
// (a config key ingot lacks, a property it does not know, a test it has
// not got).
func (c *conv) check(ctx context.Context) error {
	listed := map[string]bool{}
	unfinished := map[string]bool{} // files with Jinja left as written
	broken := map[string]bool{}     // their names, as refs
	for _, t := range c.res.Todo {
		listed[fmt.Sprintf("%s:%d", t.File, t.Line)] = true
		if t.Text != "" {
			unfinished[t.File] = true
			broken[strings.TrimSuffix(path.Base(t.File), ".sql")] = true
		}
	}
	err := c.load(ctx)
	for _, e := range diag.Flatten(err) {
		var d *diag.Error
		if !errors.As(e, &d) {
			c.todo("", 0, 0, "", "ingot: %v", e)
			continue
		}
		if listed[fmt.Sprintf("%s:%d", d.File, d.Line)] {
			continue // the Jinja left as written, already listed
		}
		// The rest of a block left as written ({% endcall %}), and refs to
		// a model that does not parse until it is finished, follow from
		// what is listed.
		if unfinished[d.File] && strings.HasPrefix(d.Msg, "Jinja ") {
			continue
		}
		if m := unknownRefRe.FindStringSubmatch(d.Msg); m != nil && broken[m[1]] {
			continue
		}
		c.todo(d.File, d.Line, d.Col, d.Source, "%s", d.Msg)
	}
	return ctx.Err()
}

var unknownRefRe = regexp.MustCompile(`^unknown ref "([^"]+)"`)

func (c *conv) load(ctx context.Context) error {
	p, err := project.Load(ctx, project.Options{Dir: c.opts.Dst})
	if err != nil {
		return err
	}
	// Every environment variable reads as set: which ones a build will
	// have is not the converter's to know.
	getenv := func(string) (string, bool) { return "", true }
	engine := c.targetType
	if engine == "" && c.opts.Engines != nil {
		// The target's output was not converted: check as a project that
		// names no warehouse would build.
		if e, ok := c.opts.Engines.Starter(); ok {
			engine = e.Name
		}
	}
	m, err := compile.Build(ctx, p, compile.Options{TargetName: "dev", Getenv: getenv}.WithEngine(c.opts.Engines, engine))
	if err != nil {
		return err
	}
	if err := datatest.Add(ctx, m); err != nil {
		return err
	}
	return m.BuildGraph()
}
