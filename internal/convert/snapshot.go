package convert

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ingot-dev/ingot/internal/jinja"
	"github.com/ingot-dev/ingot/internal/project"
)

// snapshots converts the snapshot folders: each {% snapshot NAME %} block
// of a .sql file becomes NAME.sql beside it (ingot names a snapshot by its
// file), its config call keeping the keys ingot's snapshots read; property
// files are copied, as for models.
func (c *conv) snapshots(context.Context) error {
	files, err := c.files(c.paths["snapshot-paths"])
	if err != nil {
		return err
	}
	defined := map[string]string{} // snapshot name → the dbt file defining it
	for _, f := range files {
		switch strings.ToLower(filepath.Ext(f)) {
		case ".sql":
			b, err := os.ReadFile(filepath.Join(c.opts.Src, filepath.FromSlash(f)))
			if err != nil {
				return err
			}
			if err := c.snapshotFile(f, string(b), defined); err != nil {
				return err
			}
		case ".yml", ".yaml":
			if err := c.propertyFile(f); err != nil {
				return err
			}
		default:
			c.todo(f, 0, 0, "", "not a snapshot or property file; not copied")
		}
	}
	return nil
}

func (c *conv) snapshotFile(f, src string, defined map[string]string) error {
	blocks, problems := snapshotBlocks(src)
	for _, p := range problems {
		c.todo(f, p.Line, p.Col, "", "%s", p.Msg)
	}
	for _, b := range blocks {
		dst := path.Join(path.Dir(f), b.name+".sql")
		if prev, dup := defined[b.name]; dup {
			c.todo(f, b.line, 0, "", "snapshot %s is defined in %s already (not copied)", b.name, prev)
			continue
		}
		defined[b.name] = f
		out, problems := c.tr.Translate(b.body)
		for _, p := range problems {
			c.todo(dst, p.Line, p.Col, p.Text, "%s", p.Msg)
		}
		for _, d := range b.dropped {
			c.todo(dst, d.line, 0, "", "config %s %s (not converted)", d.key, d.why)
		}
		if err := c.write(dst, []byte(out)); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

// snapshotBlock is one {% snapshot %} block of a dbt snapshot file, as the
// Jinja source of an ingot snapshot: the block's body with its config
// call rewritten.
type snapshotBlock struct {
	name    string
	line    int // of the {% snapshot %} tag in the dbt file
	body    string
	dropped []droppedKey
}

// droppedKey is a config key left out of a snapshot, at its line in body.
type droppedKey struct {
	line     int
	key, why string
}

var snapshotNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// snapshotBlocks splits a dbt snapshot file into its blocks. dbt reads
// nothing outside them, so neither does the conversion; problems are
// positions in src of what is not converted.
func snapshotBlocks(src string) ([]snapshotBlock, []jinja.Problem) {
	segs, err := jinja.Lex(src)
	if err != nil {
		p := jinja.Problem{Line: 1, Msg: err.Error()}
		var e *jinja.Error
		if errors.As(err, &e) {
			p = jinja.Problem{Line: e.Line, Col: e.Col, Msg: e.Msg}
		}
		p.Msg += " (not copied)"
		return nil, []jinja.Problem{p}
	}
	var (
		blocks   []snapshotBlock
		problems []jinja.Problem
		cur      *snapshotBlock
		body     strings.Builder
		configAt []int // offsets in body of the config calls, for the lines of dropped keys
		dropped  [][]droppedKey
	)
	for _, s := range segs {
		word, rest := "", ""
		if f := strings.Fields(s.Body); s.Kind == jinja.Stmt && len(f) > 0 {
			word, rest = f[0], strings.TrimSpace(strings.TrimPrefix(s.Body, f[0]))
		}
		switch {
		case word == "snapshot" && cur != nil:
			problems = append(problems, jinja.Problem{Line: s.Line, Col: s.Col, Msg: "a {% snapshot %} block inside another (not copied)"})
		case word == "snapshot":
			if !snapshotNameRe.MatchString(rest) {
				problems = append(problems, jinja.Problem{Line: s.Line, Col: s.Col, Msg: fmt.Sprintf("snapshot name %q is not a name (not copied)", rest)})
			}
			cur = &snapshotBlock{name: rest, line: s.Line}
			body.Reset()
			configAt, dropped = nil, nil
		case word == "endsnapshot" && cur != nil:
			if snapshotNameRe.MatchString(cur.name) {
				cur.body, cur.dropped = snapshotBody(body.String(), configAt, dropped)
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur == nil:
			// outside every block: dbt ignores it
		case s.Kind == jinja.Expr:
			if cfg, drop, ok := snapshotConfigCall(s); ok {
				configAt = append(configAt, body.Len())
				dropped = append(dropped, drop)
				body.WriteString(cfg)
				continue
			}
			body.WriteString(s.Raw)
		default:
			body.WriteString(s.Raw)
		}
	}
	if cur != nil {
		problems = append(problems, jinja.Problem{Line: cur.line, Msg: "{% snapshot %} is never closed with {% endsnapshot %} (not copied)"})
	}
	if len(blocks) == 0 && len(problems) == 0 {
		problems = append(problems, jinja.Problem{Line: 1, Msg: "no {% snapshot %} block, so dbt reads nothing here (not copied)"})
	}
	return blocks, problems
}

// snapshotBody drops the blank lines the block opens with and gives the
// dropped keys the line of their config call in what is left.
func snapshotBody(body string, configAt []int, dropped [][]droppedKey) (string, []droppedKey) {
	cut := 0
	for {
		i := strings.IndexByte(body[cut:], '\n')
		if i < 0 || strings.TrimSpace(body[cut:cut+i]) != "" {
			break
		}
		cut += i + 1
	}
	var out []droppedKey
	for i, at := range configAt {
		line := 1
		if at > cut {
			line += strings.Count(body[cut:at], "\n")
		}
		for _, d := range dropped[i] {
			d.line = line
			out = append(out, d)
		}
	}
	return strings.TrimRight(body[cut:], " \t\r\n") + "\n", out
}

// snapshotConfigCall rewrites {{ config(...) }} to the keys ingot reads,
// listing the others; ok is false for any other expression.
func snapshotConfigCall(s jinja.Segment) (string, []droppedKey, bool) {
	n, err := jinja.ParseExpr(s.Body)
	if err != nil || n.Op != "call" || n.Kids[0].Op != "name" || n.Kids[0].S != "config" || len(n.Kids) > 1 {
		return "", nil, false // the translation lists what is wrong with it
	}
	var kept []string
	var dropped []droppedKey
	for _, kw := range n.Kw {
		key := strings.ReplaceAll(kw.Name, "-", "_")
		if why := snapshotConfig(key); why != "" {
			dropped = append(dropped, droppedKey{key: key, why: why})
			continue
		}
		kept = append(kept, key+"="+jinjaOf(kw.Val))
	}
	if len(kept) == 0 {
		return "", dropped, true
	}
	open, close := "{{ ", " }}"
	if s.TrimLeft {
		open = "{{- "
	}
	if s.TrimRight {
		close = " -}}"
	}
	return open + "config(" + strings.Join(kept, ", ") + ")" + close, dropped, true
}

// snapshotConfig says why a dbt snapshot config key is not converted, or
// "" when ingot's snapshots read it (see package snapshot and the
// compile of target_schema).
func snapshotConfig(key string) string {
	switch key {
	case "unique_key", "strategy", "updated_at", "check_cols", "hard_deletes", "invalidate_hard_deletes",
		"target_schema", "schema", "alias", "tags", "enabled", "meta", "docs", "description":
		return ""
	case "pre_hook", "post_hook":
		return "is not supported: ingot runs no hooks on snapshots; run the statements in a hook of a model that refs the snapshot"
	case "snapshot_meta_column_names", "dbt_valid_to_current":
		return "is not supported: ingot's snapshots have dbt's default columns (dbt_valid_from, dbt_valid_to, …), dbt_valid_to null while a version is current"
	case "target_database":
		return "is not supported: ingot builds into the target's database only (choose the database in profiles.yml)"
	}
	if why := project.UnsupportedConfig(key); why != "" {
		return "is not supported: " + why
	}
	return "has no ingot equivalent"
}

// jinjaOf spells a parsed expression as Jinja again, parenthesizing every
// compound part so it parses back to the same tree.
func jinjaOf(n *jinja.Node) string {
	list := func(ns []*jinja.Node, kw []jinja.Kwarg) string {
		var parts []string
		for _, k := range ns {
			parts = append(parts, jinjaOf(k))
		}
		for _, k := range kw {
			parts = append(parts, k.Name+"="+jinjaOf(k.Val))
		}
		return strings.Join(parts, ", ")
	}
	switch n.Op {
	case "name", "num", "const":
		return n.S
	case "str":
		r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`)
		return "'" + r.Replace(n.S) + "'"
	case "list":
		return "[" + list(n.Kids, nil) + "]"
	case "dict":
		var parts []string
		for i := 0; i+1 < len(n.Kids); i += 2 {
			parts = append(parts, jinjaOf(n.Kids[i])+": "+jinjaOf(n.Kids[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case "attr":
		return atom(n.Kids[0]) + "." + n.S
	case "index":
		return atom(n.Kids[0]) + "[" + jinjaOf(n.Kids[1]) + "]"
	case "call":
		return atom(n.Kids[0]) + "(" + list(n.Kids[1:], n.Kw) + ")"
	case "filter":
		s := atom(n.Kids[0]) + "|" + n.S
		if len(n.Kids) > 1 || len(n.Kw) > 0 {
			s += "(" + list(n.Kids[1:], n.Kw) + ")"
		}
		return s
	case "not":
		return "not " + atom(n.Kids[0])
	case "neg":
		return "-" + atom(n.Kids[0])
	case "bin":
		return atom(n.Kids[0]) + " " + n.S + " " + atom(n.Kids[1])
	case "cond":
		return atom(n.Kids[0]) + " if " + atom(n.Kids[1]) + " else " + atom(n.Kids[2])
	case "is":
		return atom(n.Kids[0]) + " is " + n.S
	}
	return n.S
}

// atom is jinjaOf in parentheses unless the expression binds tightest.
func atom(n *jinja.Node) string {
	switch n.Op {
	case "name", "num", "const", "str", "list", "dict", "attr", "index", "call":
		return jinjaOf(n)
	}
	return "(" + jinjaOf(n) + ")"
}
