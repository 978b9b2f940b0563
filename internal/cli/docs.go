package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/docs"
	"github.com/ingot-dev/ingot/internal/lineage"
)

// docsDir is the site's folder under the target path.
const docsDir = "docs"

func (e *env) docsCommand() *ucli.Command {
	onUsage := func(c *ucli.Context, err error, _ bool) error { return &usageError{msg: err.Error()} }
	return &ucli.Command{
		Name:  "docs",
		Usage: "the project's documentation site: generate it, then serve it",
		Subcommands: []*ucli.Command{
			{
				Name:         "generate",
				Usage:        "compile every model, write target/manifest.json and target/catalog.json (columns and types from the warehouse) and the site in target/docs/",
				Flags:        commandFlags(),
				Action:       e.docsGenerateCmd,
				OnUsageError: onUsage,
			},
			{
				Name:  "serve",
				Usage: "serve target/docs/ on 127.0.0.1 until Ctrl-C",
				Flags: commandFlags(
					&ucli.IntFlag{Name: "port", Value: 8080, Usage: "port to listen on; 0 picks a free one"},
				),
				Action:       e.docsServeCmd,
				OnUsageError: onUsage,
			},
		},
	}
}

func (e *env) docsGenerateCmd(c *ucli.Context) error {
	if c.Args().Present() {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", c.Args().First())}
	}
	ctx := c.Context
	s, err := e.load(c)
	if err != nil {
		return err
	}
	a, err := e.engines.Open(ctx, s.target)
	if err != nil {
		return err
	}
	defer a.Close()

	// Compile with the warehouse at hand, so run_query (dynamic pivots)
	// renders the SQL a build would run.
	query := func(ctx context.Context, sql string) ([]map[string]any, error) {
		rows, err := a.Query(ctx, sql, 0)
		if err != nil {
			return nil, err
		}
		return rows.Maps(), nil
	}
	compiled := map[string]string{}
	var problems diag.List
	var entries []docs.Entry
	for _, id := range s.manifest.IDs() {
		n := s.manifest.Nodes[id]
		switch n.Kind {
		case compile.KindModel, compile.KindSnapshot:
			sql, err := s.manifest.Render(ctx, id, compile.RenderOptions{Query: query})
			if err == nil {
				err = writeCompiled(s, n, "compiled", sql)
			}
			if err != nil {
				problems.Add(err)
				continue
			}
			compiled[id] = sql
			if n.Materialized() == "ephemeral" {
				continue // inlined into its children: nothing in the warehouse
			}
		case compile.KindSeed, compile.KindSource:
		default:
			continue
		}
		entries = append(entries, docs.Entry{ID: id, Source: n.Kind == compile.KindSource, Relation: n.Relation})
	}
	if err := problems.Err(); err != nil {
		return err
	}

	target := s.proj.TargetDir()
	cat, err := docs.BuildCatalog(ctx, a, entries, version, s.started)
	if err != nil {
		return err
	}
	// Column lineage reads seeds and sources with the columns the
	// warehouse has, which the catalog just listed, and traces the SQL
	// compiled above, so columns run_query renders are traced too.
	lin, err := lineage.Compute(ctx, s.manifest, lineage.Options{Columns: cat.Columns, Compiled: compiled})
	if err != nil {
		return err
	}
	meta := artifacts.Metadata{Version: version, GeneratedAt: s.started.UTC(), Project: s.proj.Name,
		Target: s.target.Name, TargetType: s.target.Type, Command: "docs generate"}
	if err := artifacts.WriteManifest(target, meta, s.manifest, artifacts.WithLineage(lin)); err != nil {
		return err
	}
	if err := cat.Write(filepath.Join(target, "catalog.json")); err != nil {
		return err
	}
	site, err := docs.Load(target, compiled)
	if err != nil {
		return err
	}
	siteDir := filepath.Join(target, docsDir)
	if err := docs.Write(siteDir, site); err != nil {
		return err
	}

	missing := len(entries) - len(cat.Nodes) - len(cat.Sources) - len(cat.Errors)
	rel := func(p string) string { return filepath.ToSlash(s.proj.Rel(p)) }
	if e.json {
		b, _ := json.Marshal(map[string]any{"event": "docs_generated", "nodes": len(site.Nodes), "catalog": rel(filepath.Join(target, "catalog.json")),
			"relations": len(cat.Nodes) + len(cat.Sources), "not_built": missing, "catalog_errors": cat.Errors, "site": rel(filepath.Join(siteDir, "index.html"))})
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	for _, msg := range cat.Errors {
		fmt.Fprintf(e.stderr, "%s %s\n", e.paint(yellow, "warning:"), msg)
	}
	if missing > 0 {
		fmt.Fprintf(e.stderr, "%s %d of %d relations are not in the warehouse yet: their columns show as declared (run ingot build first)\n",
			e.paint(yellow, "warning:"), missing, len(entries))
	}
	fmt.Fprintf(e.stdout, "Catalog of %d relations written to %s\n", len(cat.Nodes)+len(cat.Sources), rel(filepath.Join(target, "catalog.json")))
	fmt.Fprintf(e.stdout, "Site of %d nodes written to %s (browse it with: ingot docs serve)\n", len(site.Nodes), rel(filepath.Join(siteDir, "index.html")))
	return nil
}

func (e *env) docsServeCmd(c *ucli.Context) error {
	if c.Args().Present() {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", c.Args().First())}
	}
	port := intFlag(c, "port")
	if port < 0 || port > 65535 {
		return &usageError{msg: fmt.Sprintf("--port must be between 0 and 65535, not %d", port)}
	}
	p, err := e.loadProject(c)
	if err != nil {
		return err
	}
	dir := filepath.Join(p.TargetDir(), docsDir)
	rel := filepath.ToSlash(p.Rel(dir))
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return fmt.Errorf("%s/index.html: no site to serve: run ingot docs generate first", rel)
	}
	// Only this machine: the site shows the project's SQL and data types.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port %d is in use: pick another with --port, or --port 0 for a free one", port)
		}
		return err
	}
	url := "http://" + ln.Addr().String() + "/"
	if e.json {
		b, _ := json.Marshal(map[string]any{"event": "docs_serving", "url": url, "dir": rel})
		fmt.Fprintln(e.stdout, string(b))
	} else {
		fmt.Fprintf(e.stdout, "Serving %s at %s (Ctrl-C to stop)\n", rel, url)
	}
	start := time.Now()
	if err := docs.Serve(c.Context, ln, dir); err != nil {
		return err
	}
	if !e.json {
		fmt.Fprintf(e.stdout, "Stopped after %s\n", time.Since(start).Round(time.Second))
	}
	return nil
}
