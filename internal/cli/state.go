package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/graph"
	"github.com/ingot-dev/ingot/internal/state"
)

// loadState reads --state, or returns nil when it is not given. A relative
// folder is taken from the current directory, as a shell user means it.
func (e *env) loadState(c *ucli.Context) (*state.State, error) {
	dir := flag(c, "state")
	if dir == "" {
		return nil, nil
	}
	st, err := state.Load(dir)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return st, nil
}

// markState lets the state:, result: and source_status: selectors match,
// comparing the project with the --state run.
func (e *env) markState(c *ucli.Context, s *session, selectors []string) error {
	uses := ""
	for _, sel := range selectors {
		for _, m := range []string{graph.MethodState, graph.MethodResult, graph.MethodSourceStatus} {
			if strings.Contains(sel, m+":") {
				uses = sel
			}
		}
	}
	st, err := e.loadState(c)
	if err != nil {
		return err
	}
	if st == nil {
		if uses != "" {
			return &usageError{msg: fmt.Sprintf("selector %q compares with a previous run: pass --state DIR (that run's target/ folder)", uses)}
		}
		return nil
	}
	isNew, modified := st.Modified(s.manifest)
	for id := range modified {
		s.manifest.Graph.Mark(id, graph.MethodState, "modified")
	}
	for id := range isNew {
		s.manifest.Graph.Mark(id, graph.MethodState, "new")
	}
	for id, status := range st.Results {
		s.manifest.Graph.Mark(id, graph.MethodResult, status)
	}
	// source_status:fresher: loaded since the state's freshness check,
	// comparing its sources.json with this project's target/sources.json.
	before, err := state.LoadedAt(st.Dir)
	if err != nil {
		return err
	}
	now, err := state.LoadedAt(s.proj.TargetDir())
	if err != nil {
		return err
	}
	for id, t := range now {
		if b, ok := before[id]; !ok || t.After(b) {
			s.manifest.Graph.Mark(id, graph.MethodSourceStatus, "fresher")
		}
	}
	return nil
}

// stateCatalog is the name the --defer run's DuckDB file is attached as.
const stateCatalog = "ingot_state"

// deferRefs points refs of the selected nodes to parents that this run
// does not build and this target lacks at the --state run's relations.
// On DuckDB the state's target is another database file, attached read-only.
func (e *env) deferRefs(c *ucli.Context, s *session, a adapter.Adapter, ids []string) error {
	if !boolFlag(c, "defer") {
		return nil
	}
	st, err := e.loadState(c)
	if err != nil {
		return err
	}
	if st == nil {
		return &usageError{msg: "--defer needs --state DIR, the target/ folder of the run to read unbuilt parents from"}
	}
	if a == nil {
		return nil
	}
	selected := map[string]bool{}
	for _, id := range ids {
		selected[id] = true
	}
	var want []*compile.Node
	seen := map[string]bool{}
	for _, id := range ids {
		for _, p := range s.manifest.Nodes[id].DependsOn {
			pn := s.manifest.Nodes[p]
			if selected[p] || seen[p] || pn == nil {
				continue
			}
			seen[p] = true
			switch {
			case pn.Kind == compile.KindSource, pn.Kind == compile.KindModel && pn.Materialized() == "ephemeral":
				continue
			}
			if _, ok := st.Nodes[p]; !ok {
				continue // new since the state's run: nothing to read there
			}
			kind, _, err := a.Describe(c.Context, pn.Relation)
			if err != nil {
				return err
			}
			if kind == adapter.KindNone {
				want = append(want, pn)
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	catalog, err := e.stateCatalog(c, s, st, a)
	if err != nil {
		return err
	}
	s.manifest.Deferred = map[string]string{}
	for _, n := range want {
		schema, name, ok := strings.Cut(st.Nodes[n.ID].Relation, ".")
		if !ok {
			return fmt.Errorf("--defer: the --state manifest gives %s no relation", n.ID)
		}
		s.manifest.Deferred[n.ID] = catalog + s.manifest.RelationSQL(adapter.Relation{Schema: schema, Name: name})
	}
	return nil
}

// stateCatalog makes the --state run's relations readable from this
// target's connection and returns what goes in front of schema.name: on
// DuckDB another database file is attached read-only; targets that share
// a database (PostgreSQL, or one DuckDB file) differ by their schema.
func (e *env) stateCatalog(c *ucli.Context, s *session, st *state.State, a adapter.Adapter) (string, error) {
	if st.TargetType != s.target.Type {
		return "", &usageError{msg: fmt.Sprintf("--defer: the --state run used a %s target (%s); this one is %s", st.TargetType, st.TargetName, s.target.Type)}
	}
	here := warehouseFile(s.target)
	if here == "" {
		return "", nil // a server's database: the schemas differ
	}
	opts := profileOpts(c, e)
	opts.Target = st.TargetName
	prod, err := s.proj.LoadTarget(opts)
	if err != nil {
		return "", fmt.Errorf("--defer: the --state run's target %q: %w", st.TargetName, err)
	}
	there := warehouseFile(prod)
	if there == "" || filepath.Clean(there) == filepath.Clean(here) {
		return "", nil
	}
	// A database file (DuckDB's): attach the state's file read-only.
	if _, err := a.Exec(c.Context, "ATTACH IF NOT EXISTS '"+strings.ReplaceAll(there, "'", "''")+"' AS "+stateCatalog+" (READ_ONLY)"); err != nil {
		return "", fmt.Errorf("--defer: opening the --state run's database %s: %w", s.proj.Rel(there), err)
	}
	return s.engine.Dialect.Quote(stateCatalog) + ".", nil
}

// warehouseFile is the database file of a target kept in local files, ""
// for a server's database.
func warehouseFile(t adapter.Target) string {
	if lf, ok := t.Options.(adapter.LocalFiles); ok {
		if files := lf.WarehouseFiles(); len(files) > 0 {
			return files[0]
		}
	}
	return ""
}
