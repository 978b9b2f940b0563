// Package state reads a previous run's artifacts (its target/ folder: the
// --state DIR) and compares them with the project as it is now, for the
// state: and result: selectors, --defer and retry.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/compile"
)

// Node is what the state's manifest says about one node.
type Node struct {
	ResourceType string
	// Relation is schema.name (unquoted), where --defer reads the node.
	Relation      string
	Schema        string
	Checksum      string
	MacroChecksum string
	Config        map[string]any
	Columns       map[string]map[string]any
}

// UnmarshalJSON reads a node of manifest.json as written now (dbt's
// manifest v12: checksum {name, checksum}, ingot's fields under
// meta.ingot) or by earlier ingot versions (flat strings), so a --state
// folder from before an upgrade still compares.
func (n *Node) UnmarshalJSON(b []byte) error {
	var raw struct {
		ResourceType  string                    `json:"resource_type"`
		Relation      string                    `json:"relation_name"`
		Schema        string                    `json:"schema"`
		Alias         string                    `json:"alias"`
		Checksum      json.RawMessage           `json:"checksum"`
		MacroChecksum string                    `json:"macro_checksum"`
		Config        map[string]any            `json:"config"`
		Columns       map[string]map[string]any `json:"columns"`
		Meta          struct {
			Ingot struct {
				MacroChecksum string `json:"macro_checksum"`
			} `json:"ingot"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*n = Node{ResourceType: raw.ResourceType, Relation: raw.Relation, Schema: raw.Schema, Config: raw.Config,
		Columns: raw.Columns, MacroChecksum: raw.MacroChecksum}
	if raw.Alias != "" {
		n.Relation = raw.Schema + "." + raw.Alias
	}
	if raw.Meta.Ingot.MacroChecksum != "" {
		n.MacroChecksum = raw.Meta.Ingot.MacroChecksum
	}
	var sum struct {
		Checksum string `json:"checksum"`
	}
	if json.Unmarshal(raw.Checksum, &sum) != nil {
		_ = json.Unmarshal(raw.Checksum, &n.Checksum)
	} else {
		n.Checksum = sum.Checksum
	}
	return nil
}

// State is a previous run's manifest and, when there is one, its results.
type State struct {
	Dir        string
	TargetName string
	TargetType string
	Nodes      map[string]Node
	// Results maps a node ID to its status in run_results.json ("success",
	// "error", "fail", "skipped", "pass", "warn").
	Results map[string]string
	// Command and Args are the command line of the run that wrote
	// run_results.json (ingot retry runs it again).
	Command string
	Args    []string
}

// metadata is both files' metadata as written now (dbt's: the target in
// env) or by earlier ingot versions (target_name, command and args).
type metadata struct {
	Env         map[string]string `json:"env"`
	AdapterType string            `json:"adapter_type"`
	TargetName  string            `json:"target_name"`
	Command     string            `json:"command"`
	Args        []string          `json:"args"`
}

// Load reads dir/manifest.json and, if present, dir/run_results.json.
func Load(dir string) (*State, error) {
	var man struct {
		Metadata metadata        `json:"metadata"`
		Nodes    map[string]Node `json:"nodes"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--state %s: no manifest.json there; point --state at the target/ folder of a previous run", dir)
		}
		return nil, err
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("--state %s: manifest.json: %w", dir, err)
	}
	target := man.Metadata.TargetName
	if t := man.Metadata.Env[artifacts.EnvTarget]; t != "" {
		target = t
	}
	s := &State{Dir: dir, TargetName: target, TargetType: man.Metadata.AdapterType, Nodes: man.Nodes, Results: map[string]string{}}
	b, err = os.ReadFile(filepath.Join(dir, "run_results.json"))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var rr struct {
		Metadata metadata       `json:"metadata"`
		Args     map[string]any `json:"args"`
		Results  []struct {
			ID     string `json:"unique_id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &rr); err != nil {
		return nil, fmt.Errorf("--state %s: run_results.json: %w", dir, err)
	}
	s.Command, s.Args = rr.Metadata.Command, rr.Metadata.Args
	if cmd, _, argv := artifacts.ResultsArgs(rr.Args); cmd != "" {
		s.Command, s.Args = cmd, argv
	}
	for _, r := range rr.Results {
		s.Results[r.ID] = r.Status
	}
	return s, nil
}

// Modified says, for each model, seed and snapshot of m, whether it is new
// (absent from the state) or modified, and why: its file (body), its
// config, the macro files its template names, its declared columns (name,
// data_type: its contract) or those of a direct parent.
func (s *State) Modified(m *compile.Manifest) (isNew map[string]bool, modified map[string]string) {
	isNew, modified = map[string]bool{}, map[string]string{}
	cur := map[string]Node{}
	for id, n := range m.Nodes {
		switch n.Kind {
		case compile.KindModel, compile.KindSeed, compile.KindSnapshot:
		default:
			continue
		}
		cur[id] = current(m, n)
	}
	for id, c := range cur {
		old, ok := s.Nodes[id]
		switch {
		case !ok:
			isNew[id], modified[id] = true, "new"
		case c.Checksum != old.Checksum:
			modified[id] = "body"
		case !sameJSON(c.Config, old.Config):
			modified[id] = "config"
		case c.MacroChecksum != old.MacroChecksum:
			modified[id] = "macros"
		case !sameJSON(columnTypes(c.Columns), columnTypes(old.Columns)):
			modified[id] = "contract"
		}
	}
	for id := range cur {
		if _, done := modified[id]; done {
			continue
		}
		for _, p := range m.Nodes[id].DependsOn {
			pc, ok := cur[p]
			old, had := s.Nodes[p]
			if ok && had && !sameJSON(columnTypes(pc.Columns), columnTypes(old.Columns)) {
				modified[id] = "contract of " + m.Nodes[p].Name
				break
			}
		}
	}
	return isNew, modified
}

// current is n as the state's manifest would record it, through the same
// JSON the artifacts package writes.
func current(m *compile.Manifest, n *compile.Node) Node {
	var c Node
	if b, err := json.Marshal(artifacts.NodeJSON(m, n)); err == nil {
		_ = json.Unmarshal(b, &c)
	}
	return c
}

// columnTypes are the declared columns' types: the columns column
// lineage added (docs generate) are not part of the contract.
func columnTypes(cols map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for name, c := range cols {
		if meta, _ := c["meta"].(map[string]any); meta[artifacts.DeclaredKey] == false {
			continue
		}
		out[name] = c["data_type"]
	}
	return out
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

// LoadedAt reads dir/sources.json: each source table's latest load time
// as ingot source freshness saw it (none when the file is missing).
func LoadedAt(dir string) (map[string]time.Time, error) {
	b, err := os.ReadFile(filepath.Join(dir, "sources.json"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, err
	}
	var sj struct {
		Results []artifacts.SourceFreshness `json:"results"`
	}
	if err := json.Unmarshal(b, &sj); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "sources.json"), err)
	}
	out := map[string]time.Time{}
	for _, r := range sj.Results {
		if r.MaxLoadedAt != nil {
			out[r.ID] = *r.MaxLoadedAt
		}
	}
	return out, nil
}
