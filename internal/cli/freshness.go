package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/freshness"
)

func (e *env) sourceCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "source",
		Usage: "commands on declared sources",
		Subcommands: []*ucli.Command{{
			Name:   "freshness",
			Usage:  "check each source's latest loaded_at_field against warn_after / error_after; writes target/sources.json",
			Flags:  commandFlags(selectFlags()...),
			Action: e.freshnessCmd,
			OnUsageError: func(c *ucli.Context, err error, _ bool) error {
				return &usageError{msg: err.Error()}
			},
		}},
	}
}

func (e *env) freshnessCmd(c *ucli.Context) error {
	s, err := e.load(c)
	if err != nil {
		return err
	}
	ids, err := e.selection(c, s, []string{compile.KindSource})
	if err != nil {
		return err
	}
	type check struct {
		n    *compile.Node
		spec freshness.Spec
	}
	var checks []check
	for _, id := range ids {
		n := s.manifest.Nodes[id]
		spec, ok, err := freshness.ParseSpec(n.Source.Freshness)
		if err != nil {
			return fmt.Errorf("%s: source %s.%s: %w", n.Path, n.Source.SourceName, n.Name, err)
		}
		if !ok {
			continue
		}
		if n.Source.LoadedAtField == "" {
			return fmt.Errorf("%s: source %s.%s has freshness but no loaded_at_field (the column telling when a row was loaded)", n.Path, n.Source.SourceName, n.Name)
		}
		checks = append(checks, check{n, spec})
	}
	if len(checks) == 0 {
		fmt.Fprintln(e.stdout, "No selected source has freshness and loaded_at_field configured; nothing to check")
		return nil
	}
	a, err := e.engines.Open(c.Context, s.target)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	now := e.now().UTC()
	var results []artifacts.SourceFreshness
	failed := false
	for i, ch := range checks {
		n := ch.n
		r := artifacts.SourceFreshness{ID: n.ID, SnapshottedAt: now, Criteria: ch.spec}
		q := "select max(cast(" + n.Source.LoadedAtField + " as timestamp)) as max_loaded_at from " + s.manifest.RelationSQL(n.Relation)
		if ch.spec.Filter != "" {
			q += " where " + ch.spec.Filter
		}
		rows, err := a.Query(c.Context, q, 1)
		var t time.Time
		switch {
		case err != nil:
			r.Status, r.Error = freshness.RuntimeError, err.Error()
		case len(rows.Rows) == 0 || rows.Rows[0][0] == nil:
			r.Status, r.Error = freshness.RuntimeError, "the table has no rows with a "+n.Source.LoadedAtField
		default:
			var ok bool
			if t, ok = rows.Rows[0][0].(time.Time); !ok {
				r.Status, r.Error = freshness.RuntimeError, fmt.Sprintf("max(%s) is %T, not a timestamp", n.Source.LoadedAtField, rows.Rows[0][0])
				break
			}
			// Timestamps without a time zone are taken as UTC.
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			r.MaxLoadedAt, r.AgeSeconds = &t, now.Sub(t).Seconds()
			r.Status = ch.spec.Status(t, now)
		}
		failed = failed || r.Status == freshness.Error || r.Status == freshness.RuntimeError
		results = append(results, r)
		label := fmt.Sprintf("%s  %d of %d source %s.%s", clock(e.now()), i+1, len(checks), n.Source.SourceName, n.Name)
		status := strings.ToUpper(r.Status)
		switch {
		case r.MaxLoadedAt != nil && r.AgeSeconds < 0:
			status += " (last load in the future)"
		case r.MaxLoadedAt != nil:
			status += fmt.Sprintf(" (last load %s ago)", now.Sub(*r.MaxLoadedAt).Round(time.Second))
		}
		if !e.json {
			fmt.Fprintln(e.stdout, dots(label, "["+status+"]"))
			if r.Error != "" {
				fmt.Fprintf(e.stdout, "  %s\n", r.Error)
			}
		}
	}
	meta := artifacts.Metadata{Version: version, GeneratedAt: s.started.UTC(), Project: s.proj.Name,
		Target: s.target.Name, TargetType: s.target.Type, Command: "source freshness", Args: e.argv[1:]}
	if err := artifacts.WriteSources(s.proj.TargetDir(), meta, time.Since(start), results); err != nil {
		return err
	}
	if e.json {
		for _, r := range results {
			b, _ := json.Marshal(map[string]any{"event": "source_freshness", "unique_id": r.ID, "status": r.Status, "max_loaded_at": r.MaxLoadedAt, "age_seconds": r.AgeSeconds, "error": r.Error})
			fmt.Fprintln(e.stdout, string(b))
		}
	}
	if failed {
		return &exitError{code: ExitFailure}
	}
	return nil
}
