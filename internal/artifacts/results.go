package artifacts

import (
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
)

// RunResultsSchema is the dbt artifact schema run_results.json follows.
const RunResultsSchema = "https://schemas.getdbt.com/dbt/run-results/v6.json"

type resultsMeta struct {
	SchemaVersion string            `json:"dbt_schema_version"`
	Version       string            `json:"dbt_version"`
	GeneratedAt   string            `json:"generated_at"`
	InvocationID  string            `json:"invocation_id"`
	StartedAt     string            `json:"invocation_started_at"`
	Env           map[string]string `json:"env"`
}

type timingJSON struct {
	Name        string `json:"name"`
	StartedAt   string `json:"started_at"`
	CompletedAt string `json:"completed_at"`
}

// resultJSON is one node's result. The schema forbids other keys: what a
// person reads of ingot's result line (its short status, rows) is in
// adapter_response, the free-form map dbt's adapters fill.
type resultJSON struct {
	Status          string         `json:"status"`
	Timing          []timingJSON   `json:"timing"`
	ThreadID        string         `json:"thread_id"`
	ExecutionTime   float64        `json:"execution_time"`
	AdapterResponse map[string]any `json:"adapter_response"`
	Message         *string        `json:"message"`
	Failures        *int64         `json:"failures"`
	UniqueID        string         `json:"unique_id"`
	Compiled        *bool          `json:"compiled"`
	CompiledCode    *string        `json:"compiled_code"`
	RelationName    *string        `json:"relation_name"`
	started         time.Time
}

// Run-results args keys that ingot reads back (ingot retry).
const (
	argWhich   = "which"
	argCommand = "invocation_command"
	argArgv    = "ingot_argv"
	argTarget  = "target"
)

// WriteRunResults writes target/run_results.json.
func WriteRunResults(dir string, meta Metadata, elapsed time.Duration, results []run.Result) error {
	out := make([]resultJSON, 0, len(results))
	for _, r := range results {
		j := resultJSON{Status: r.Status, Timing: []timingJSON{}, ThreadID: "main", ExecutionTime: r.Duration.Seconds(),
			AdapterResponse: map[string]any{}, UniqueID: r.ID, started: r.Started}
		if !r.Started.IsZero() {
			j.Timing = append(j.Timing, timingJSON{Name: "execute", StartedAt: timestamp(r.Started), CompletedAt: timestamp(r.Started.Add(r.Duration))})
		}
		if r.Message != "" && r.Status != run.StatusSkipped && r.Err == nil {
			j.AdapterResponse["_message"] = r.Message
		}
		msg := r.Message
		if r.Err != nil {
			msg = r.Err.Error()
		}
		if msg != "" {
			j.Message = &msg
		}
		isTest := r.Node != nil && r.Node.Kind == compile.KindTest
		if r.Rows >= 0 && r.Node != nil && !isTest {
			j.AdapterResponse["rows_affected"] = r.Rows
		}
		if isTest && r.Status != run.StatusSkipped {
			f := r.Failures
			j.Failures = &f
		}
		if r.SQL != "" {
			sql, t := r.SQL, true
			j.CompiledCode, j.Compiled = &sql, &t
		}
		if r.Node != nil && !isTest && r.Node.Relation.Name != "" {
			rel := r.Node.Relation.String()
			j.RelationName = &rel
		}
		out = append(out, j)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].started.Before(out[k].started) })
	return writeJSON(filepath.Join(dir, "run_results.json"), map[string]any{
		"metadata": resultsMeta{SchemaVersion: RunResultsSchema, Version: meta.Version, GeneratedAt: timestamp(time.Now()),
			InvocationID: meta.invocationID(), StartedAt: timestamp(meta.GeneratedAt), Env: meta.env()},
		"elapsed_time": elapsed.Seconds(),
		"results":      out,
		"args": map[string]any{
			argWhich: meta.Command, argCommand: strings.TrimSpace("ingot " + strings.Join(meta.Args, " ")),
			argArgv: nonNil(meta.Args), argTarget: meta.Target, "project_name": meta.Project, "adapter_type": meta.TargetType,
		},
	})
}

// ResultsArgs reads back what WriteRunResults recorded of the command
// line from run_results.json's args.
func ResultsArgs(args map[string]any) (command, target string, argv []string) {
	command, _ = args[argWhich].(string)
	target, _ = args[argTarget].(string)
	if list, ok := args[argArgv].([]any); ok {
		for _, a := range list {
			if s, ok := a.(string); ok {
				argv = append(argv, s)
			}
		}
	}
	return command, target, argv
}
