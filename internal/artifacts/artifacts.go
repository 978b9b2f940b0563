// Package artifacts writes what a run leaves in target/: manifest.json
// (every node, its config, dependencies and checksum) and
// run_results.json (status, timing, rows and message per node).
package artifacts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
)

// Metadata heads both files.
type Metadata struct {
	Version     string    `json:"ingot_version"`
	GeneratedAt time.Time `json:"generated_at"`
	Project     string    `json:"project_name"`
	Target      string    `json:"target_name"`
	TargetType  string    `json:"adapter_type"`
	Command     string    `json:"command,omitempty"`
	// Args are the command line after the program name (ingot retry
	// repeats it).
	Args []string `json:"args,omitempty"`
}

type manifestNode struct {
	ID           string            `json:"unique_id"`
	Name         string            `json:"name"`
	ResourceType string            `json:"resource_type"`
	Schema       string            `json:"schema,omitempty"`
	Relation     string            `json:"relation_name,omitempty"`
	Path         string            `json:"original_file_path"`
	Materialized string            `json:"materialized,omitempty"`
	Config       map[string]any    `json:"config"`
	Tags         []string          `json:"tags"`
	DependsOn    []string          `json:"depends_on"`
	Checksum     string            `json:"checksum,omitempty"`
	Description  string            `json:"description,omitempty"`
	Columns      map[string]column `json:"columns,omitempty"`
	TestType     string            `json:"test_type,omitempty"`
	AttachedTo   []string          `json:"attached_node,omitempty"`
	// MacroChecksum fingerprints the macro files the node's template names
	// (state:modified compares it).
	MacroChecksum string `json:"macro_checksum,omitempty"`
}

type column struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	DataType    string `json:"data_type,omitempty"`
}

// WriteManifest writes target/manifest.json.
func WriteManifest(dir string, meta Metadata, m *compile.Manifest) error {
	nodes := map[string]manifestNode{}
	for _, id := range m.IDs() {
		nodes[id] = nodeJSON(m, m.Nodes[id])
	}
	return writeJSON(filepath.Join(dir, "manifest.json"), map[string]any{"metadata": meta, "nodes": nodes})
}

// NodeJSON is n as manifest.json records it.
func NodeJSON(m *compile.Manifest, n *compile.Node) any { return nodeJSON(m, n) }

func nodeJSON(m *compile.Manifest, n *compile.Node) manifestNode {
	mn := manifestNode{
		ID: n.ID, Name: n.Name, ResourceType: n.Kind, Path: n.Path, Config: map[string]any(n.Config),
		Tags: n.Config.Tags(), DependsOn: n.DependsOn, TestType: n.TestType, AttachedTo: n.AttachedTo,
	}
	if mn.Config == nil {
		mn.Config = map[string]any{}
	}
	if mn.Tags == nil {
		mn.Tags = []string{}
	}
	if mn.DependsOn == nil {
		mn.DependsOn = []string{}
	}
	if n.Kind != compile.KindTest {
		mn.Schema, mn.Relation = n.Relation.Schema, n.Relation.String()
	}
	if n.Kind == compile.KindModel || n.Kind == compile.KindSnapshot {
		mn.Materialized = n.Materialized()
		mn.Checksum = checksum(n.Model.Src)
		mn.MacroChecksum = MacroChecksum(m, n)
	}
	if n.Kind == compile.KindSeed {
		mn.Checksum = seedChecksum(n.Seed.Files)
	}
	if n.Props != nil {
		mn.Description = n.Props.Description
		if len(n.Props.Columns) > 0 {
			mn.Columns = map[string]column{}
			for _, c := range n.Props.Columns {
				mn.Columns[c.Name] = column{Name: c.Name, Description: c.Description, DataType: c.DataType}
			}
		}
	}
	return mn
}

// bigSeed is the size above which a seed file is fingerprinted by size and
// modification time instead of content (as dbt does for large seeds):
// hashing a 1 GB file would cost seconds and its memory on every run.
const bigSeed = 1 << 20

func seedChecksum(files []string) string {
	h := sha256.New()
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			continue
		}
		if st.Size() > bigSeed {
			fmt.Fprintf(h, "%s:%d:%d\n", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func checksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type resultJSON struct {
	ID            string    `json:"unique_id"`
	Name          string    `json:"name"`
	ResourceType  string    `json:"resource_type"`
	Status        string    `json:"status"`
	Message       string    `json:"message,omitempty"`
	RowsAffected  *int64    `json:"rows_affected,omitempty"`
	Failures      *int64    `json:"failures,omitempty"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	ExecutionTime float64   `json:"execution_time"`
	CompiledPath  string    `json:"compiled_path,omitempty"`
	Error         string    `json:"error,omitempty"`
}

// WriteRunResults writes target/run_results.json.
func WriteRunResults(dir string, meta Metadata, elapsed time.Duration, results []run.Result) error {
	out := make([]resultJSON, 0, len(results))
	for _, r := range results {
		j := resultJSON{ID: r.ID, Status: r.Status, Message: r.Message, StartedAt: r.Started,
			ExecutionTime: r.Duration.Seconds(), CompiledPath: r.SQLPath}
		if r.Node != nil {
			j.Name, j.ResourceType = r.Node.Name, r.Node.Kind
		}
		if r.Rows >= 0 && r.Node != nil && r.Node.Kind != compile.KindTest {
			rows := r.Rows
			j.RowsAffected = &rows
		}
		if r.Node != nil && r.Node.Kind == compile.KindTest && r.Status != run.StatusSkipped {
			f := r.Failures
			j.Failures = &f
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		out = append(out, j)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].StartedAt.Before(out[k].StartedAt) })
	return writeJSON(filepath.Join(dir, "run_results.json"), map[string]any{
		"metadata": meta, "elapsed_time": elapsed.Seconds(), "results": out,
	})
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages such as "warn if > 5" stay readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// SourceFreshness is one source table's entry in sources.json.
type SourceFreshness struct {
	ID            string     `json:"unique_id"`
	MaxLoadedAt   *time.Time `json:"max_loaded_at,omitempty"`
	SnapshottedAt time.Time  `json:"snapshotted_at"`
	AgeSeconds    float64    `json:"max_loaded_at_time_ago_in_s"`
	Status        string     `json:"status"`
	Criteria      any        `json:"criteria"`
	Error         string     `json:"error,omitempty"`
}

// WriteSources writes target/sources.json (ingot source freshness).
func WriteSources(dir string, meta Metadata, elapsed time.Duration, results []SourceFreshness) error {
	return writeJSON(filepath.Join(dir, "sources.json"), map[string]any{
		"metadata": meta, "elapsed_time": elapsed.Seconds(), "results": results,
	})
}
