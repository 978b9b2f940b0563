// Package artifacts writes what a run leaves in target/: manifest.json
// (every node, its config, dependencies, checksum and, when computed, its
// columns' lineage) and run_results.json (status, timing, rows and message
// per node), in the shapes of dbt's published artifact schemas, and
// sources.json (source freshness).
package artifacts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Metadata is what the command says about itself; each file writes it in
// its schema's shape.
type Metadata struct {
	Version     string
	GeneratedAt time.Time
	Project     string
	Target      string
	TargetType  string
	Command     string
	// Args are the command line after the program name (ingot retry
	// repeats it).
	Args []string
}

// Env keys of metadata.env: the schemas allow no keys of ingot's own in
// metadata, and env is the free-form map dbt keeps there.
const (
	EnvVersion = "INGOT_VERSION"
	EnvTarget  = "INGOT_TARGET_NAME"
)

func (m Metadata) env() map[string]string {
	return map[string]string{EnvVersion: m.Version, EnvTarget: m.Target}
}

// invocationID is one id for both files of a command, in UUID form as
// dbt's: derived from what identifies the invocation, so it needs no
// random source.
func (m Metadata) invocationID() string {
	h := sha256.Sum256([]byte(m.GeneratedAt.UTC().Format(time.RFC3339Nano) + "\x00" + m.Project + "\x00" + m.Target + "\x00" + m.Command + "\x00" + strings.Join(m.Args, "\x00")))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

// timestamp is dbt's spelling of a time: UTC with microseconds and a Z.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func writeJSON(path string, v any) error { return writeJSONAs(path, v, true) }

// writeJSONAs writes v to path through a temporary file; indented, or
// compact as dbt writes its manifest (half the bytes and the time for a
// large project's).
func writeJSONAs(path string, v any, indent bool) error {
	path = filepath.FromSlash(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages such as "warn if > 5" stay readable
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
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
		"metadata": legacyMeta(meta), "elapsed_time": elapsed.Seconds(), "results": results,
	})
}

// legacyMeta is the metadata sources.json has always had (its readers
// are ingot's own: source_status:fresher).
func legacyMeta(m Metadata) map[string]any {
	out := map[string]any{"ingot_version": m.Version, "generated_at": m.GeneratedAt, "project_name": m.Project,
		"target_name": m.Target, "adapter_type": m.TargetType}
	if m.Command != "" {
		out["command"] = m.Command
	}
	return out
}
