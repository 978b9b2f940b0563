package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// loadProject reads the project alone, for commands that need no manifest.
func (e *env) loadProject(c *ucli.Context) (*project.Project, error) {
	if err := e.setup(c); err != nil {
		return nil, err
	}
	vars, err := e.parseVars(c)
	if err != nil {
		return nil, err
	}
	return project.Load(c.Context, project.Options{Dir: flag(c, "project-dir"), Vars: vars})
}

func profileOpts(c *ucli.Context, e *env) project.ProfileOptions {
	return project.ProfileOptions{Dir: flag(c, "profiles-dir"), Target: flag(c, "target"), Getenv: e.getenv, Engines: e.engines}
}

func (e *env) showCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "show",
		Usage: "query the target: a model's rows (-s model) or any SQL (--inline)",
		Flags: commandFlags(append(append(selectFlags(),
			&ucli.StringFlag{Name: "inline", Usage: "SQL to run (templates allowed: {{ ref \"x\" }})"},
			&ucli.IntFlag{Name: "limit", Value: 5, Usage: "rows to show (-1 for all)"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table, csv or json"},
		), timeTravelFlags()...)...),
		Action: e.showCmd,
	}
}

func (e *env) showCmd(c *ucli.Context) error {
	out := c.String("output")
	if out != "table" && out != "csv" && out != "json" {
		return &usageError{msg: fmt.Sprintf("--output must be table, csv or json, not %q", out)}
	}
	at, err := asOf(c)
	if err != nil {
		return err
	}
	s, err := e.load(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	var sql, title string
	var past *adapter.Relation // the relation to read at at
	inline := c.String("inline")
	switch {
	case inline != "" && len(c.StringSlice("select")) > 0:
		return &usageError{msg: "give either --inline or --select, not both"}
	case inline != "" && !at.IsZero():
		return &usageError{msg: "--at-version and --as-of read a model (-s name); in --inline SQL write FROM t AT (VERSION => N)"}
	case inline != "":
		sql, err = s.manifest.RenderInline(ctx, "--inline", inline)
		if err != nil {
			return err
		}
		title = "inline query"
	default:
		ids, err := e.selection(c, s, []string{compile.KindModel, compile.KindSeed})
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return &usageError{msg: fmt.Sprintf("show needs exactly one model (-s name) or --inline; the selection has %d", len(ids))}
		}
		n := s.manifest.Nodes[ids[0]]
		if n.Kind == compile.KindModel && n.Materialized() == "ephemeral" {
			if !at.IsZero() {
				return &usageError{msg: fmt.Sprintf("%s is ephemeral: it has no table to read a past version of", n.Name)}
			}
			sql, err = s.manifest.Render(ctx, n.ID, compile.RenderOptions{})
			if err != nil {
				return err
			}
		} else {
			sql = "select * from " + s.manifest.RelationSQL(n.Relation)
			past = &n.Relation
		}
		title = n.Relation.String()
	}
	a, err := e.engines.Open(ctx, s.target)
	if err != nil {
		return err
	}
	defer a.Close()
	if !at.IsZero() {
		from, err := relationAt(a, *past, at)
		if err != nil {
			return err
		}
		sql = "select * from " + from
	}
	limit := c.Int("limit")
	rows, err := a.Query(ctx, sql, limit)
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	switch out {
	case "json":
		for _, r := range rows.Rows {
			b, err := jsonRow(rows.Columns, r)
			if err != nil {
				return fmt.Errorf("%s: %w", title, err)
			}
			fmt.Fprintln(e.stdout, string(b))
		}
	case "csv":
		w := csv.NewWriter(e.stdout)
		head := make([]string, len(rows.Columns))
		for i, col := range rows.Columns {
			head[i] = col.Name
		}
		w.Write(head)
		for _, r := range rows.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				// An empty field is CSV's NULL, as DuckDB's COPY writes it.
				if v != nil {
					rec[i] = textutil.FormatValue(v)
				}
			}
			w.Write(rec)
		}
		w.Flush()
	default:
		fmt.Fprintf(e.stdout, "Previewing %s:\n", title)
		fmt.Fprint(e.stdout, textutil.Table(rows))
	}
	return nil
}

// jsonRow renders one row as a JSON object with the keys in column order
// (a Go map would sort them).
func jsonRow(cols []adapter.Column, row []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, col := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(col.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(jsonValue(row[i]))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", col.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return textutil.FormatValue(x)
	case []byte:
		return string(x)
	}
	return v
}

func (e *env) debugCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "debug",
		Usage: "show the resolved profile and target (secrets redacted), the engine version and check the connection",
		Flags: commandFlags(),
		Action: func(c *ucli.Context) error {
			p, err := e.loadProject(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "ingot version: %s\nproject: %s (%s)\nprofile: %s\n", version, p.Name, p.Root, p.Profile)
			t, err := p.LoadTarget(profileOpts(c, e))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "target: %s\n", t.Name)
			for _, kv := range targetFields(t, p.Rel) {
				fmt.Fprintf(e.stdout, "  %s: %s\n", kv[0], kv[1])
			}
			a, err := e.engines.Open(c.Context, t)
			if err != nil {
				fmt.Fprintf(e.stdout, "connection: FAILED\n")
				return err
			}
			defer a.Close()
			info, err := a.Info(c.Context)
			if err != nil {
				fmt.Fprintf(e.stdout, "connection: FAILED\n")
				return err
			}
			fmt.Fprintf(e.stdout, "engine: %s %s\n", info.Engine, info.Version)
			if eng, ok := e.engines.Lookup(t.Type); ok {
				fmt.Fprintf(e.stdout, "readers see: %s\n", eng.Caps.ReaderView())
			}
			keys := make([]string, 0, len(info.Details))
			for k := range info.Details {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(e.stdout, "%s: %s\n", k, info.Details[k])
			}
			fmt.Fprintln(e.stdout, "connection: OK")
			return printSnapshots(c.Context, e.stdout, a)
		},
	}
}

// targetFields lists a target's settings with secrets redacted.
func targetFields(t adapter.Target, rel func(string) string) [][2]string {
	out := [][2]string{{"type", t.Type}, {"threads", strconv.Itoa(t.Threads)}}
	if t.Options != nil {
		out = append(out, t.Options.Fields(rel)...)
	}
	return out
}
