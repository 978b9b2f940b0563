package project

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// Config is a node's configuration: folder config from project.yml, then
// property yml config, then the template's own config calls, each
// overriding the one before (tags accumulate).
type Config map[string]any

// ModelConfigKeys are the config keys a model accepts.
var modelConfigKeys = []string{
	"materialized", "schema", "alias", "tags", "enabled", "unique_key",
	"incremental_strategy", "on_schema_change", "pre_hook", "post_hook",
	"full_refresh", "meta", "docs", "description", "persist_docs", "contract",
	"grants", "database", "swap",
	// snapshot config
	"strategy", "updated_at", "check_cols", "hard_deletes", "invalidate_hard_deletes", "target_schema",
	// test config, for singular tests' config calls
	"severity", "store_failures", "warn_if", "error_if", "limit", "where",
}

// seedConfigKeys are the config keys a seed accepts.
var seedConfigKeys = []string{
	"schema", "alias", "tags", "enabled", "column_types", "delimiter", "sheet",
	"combine", "incremental", "full_refresh", "meta", "docs", "pre_hook", "post_hook",
	"quote_columns", "database",
}

// unsupportedConfig are dbt config keys ingot knows but does not act on:
// accepting them would promise what a build does not do, so each is an
// error saying what to do instead.
var unsupportedConfig = map[string]string{
	"persist_docs":  "ingot does not write descriptions into the warehouse as comments; remove persist_docs (descriptions are in target/manifest.json)",
	"grants":        `ingot does not run GRANT statements; write them as a post_hook, e.g. post_hook: "grant select on {{ this }} to reporter"`,
	"database":      "ingot builds into the target's database only; remove database (choose the database in profiles.yml)",
	"quote_columns": "ingot keeps seed column names as written in the file; remove quote_columns",
}

// UnsupportedConfig says why a config key is not supported and what to
// do, or "" when it is supported or unknown.
func UnsupportedConfig(key string) string { return unsupportedConfig[normalizeKey(key)] }

// ModelConfigKeys returns the accepted model config keys (a copy).
func ModelConfigKeys() []string { return append([]string(nil), modelConfigKeys...) }

// SeedConfigKeys returns the accepted seed config keys (a copy).
func SeedConfigKeys() []string { return append([]string(nil), seedConfigKeys...) }

// mapValuedKeys are config keys whose value is itself a mapping, so they
// are not mistaken for sub-folders.
var mapValuedKeys = map[string]bool{"meta": true, "column_types": true, "docs": true, "persist_docs": true, "contract": true, "grants": true, "pre_hook": true, "post_hook": true}

// MapValuedConfig reports whether config key (normalized) takes a mapping,
// so a mapping under it is its value, not a sub-folder.
func MapValuedConfig(key string) bool { return mapValuedKeys[key] }

// CheckConfigValue checks the value of config key (normalized) where its
// shape matters to ingot; nil for other keys.
func CheckConfigValue(key string, v any) error {
	if key != "contract" {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("config contract must be a mapping, e.g. {enforced: true}, not %v", v)
	}
	for _, k := range sortedKeys(m) {
		if k != "enforced" {
			msg := fmt.Sprintf("unknown contract key %q", k)
			if s := textutil.Suggest(k, []string{"enforced"}); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return fmt.Errorf("%s: contract takes enforced: true or false", msg)
		}
		if _, ok := m[k].(bool); !ok {
			return fmt.Errorf("contract enforced must be true or false, not %v", m[k])
		}
	}
	return nil
}

// ContractEnforced reports whether the node's contract is enforced: its
// columns and types must be those its yml columns declare.
func (c Config) ContractEnforced() bool {
	m, _ := c["contract"].(map[string]any)
	b, _ := m["enforced"].(bool)
	return b
}

// normalizeKey maps dbt spellings (+materialized, pre-hook) to ours.
func normalizeKey(k string) string {
	k = strings.TrimPrefix(k, "+")
	return strings.ReplaceAll(k, "-", "_")
}

// Merge returns c overlaid with o. Tags accumulate; other keys are replaced.
func (c Config) Merge(o Config) Config {
	out := make(Config, len(c)+len(o))
	for k, v := range c {
		out[k] = v
	}
	for k, v := range o {
		if k == "tags" {
			out[k] = mergeTags(out[k], v)
			continue
		}
		out[k] = v
	}
	return out
}

func mergeTags(a, b any) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append(StringList(a), StringList(b)...) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// StringList reads a string or list value as []string.
func StringList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	default:
		return []string{fmt.Sprint(x)}
	}
}

// Hook is one pre_hook or post_hook entry. As in dbt, a hook runs inside
// the model's build transaction (Transaction true: pre-hooks before the
// build, post-hooks just before the commit, so a failing hook rolls the
// build back) unless written {sql: "...", transaction: false}: then it
// runs before the transaction begins or after it commits (for statements
// a transaction refuses, such as VACUUM).
type Hook struct {
	SQL         string
	Transaction bool
}

// Hooks reads key (pre_hook or post_hook): a SQL string, a mapping with
// sql and transaction, or a list of those.
func (c Config) Hooks(key string) ([]Hook, error) {
	v := c[key]
	list, ok := v.([]any)
	if !ok {
		if s, isStrings := v.([]string); isStrings {
			for _, e := range s {
				list = append(list, e)
			}
		} else if v != nil {
			list = []any{v}
		}
	}
	var out []Hook
	for i, e := range list {
		h, err := hookOf(e)
		if err != nil {
			return nil, fmt.Errorf("%s entry %d: %w", key, i+1, err)
		}
		if strings.TrimSpace(h.SQL) != "" {
			out = append(out, h)
		}
	}
	return out, nil
}

func hookOf(e any) (Hook, error) {
	const want = `want a SQL string or {sql: "...", transaction: true|false}`
	switch x := e.(type) {
	case string:
		return Hook{SQL: x, Transaction: true}, nil
	case map[string]any:
		h := Hook{Transaction: true}
		for k, v := range x {
			switch k {
			case "sql":
				s, ok := v.(string)
				if !ok {
					return Hook{}, fmt.Errorf("sql must be a string; %s", want)
				}
				h.SQL = s
			case "transaction":
				b, ok := v.(bool)
				if !ok {
					return Hook{}, fmt.Errorf("transaction must be true or false; %s", want)
				}
				h.Transaction = b
			default:
				msg := fmt.Sprintf("unknown key %q", k)
				if s := textutil.Suggest(k, []string{"sql", "transaction"}); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return Hook{}, fmt.Errorf("%s; %s", msg, want)
			}
		}
		if h.SQL == "" {
			return Hook{}, fmt.Errorf("no sql; %s", want)
		}
		return h, nil
	default:
		return Hook{}, fmt.Errorf("got %v; %s", e, want)
	}
}

// String returns key as a string ("" when unset).
func (c Config) String(key string) string {
	v, ok := c[key]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// List returns key as a string list.
func (c Config) List(key string) []string { return StringList(c[key]) }

// Bool returns key as a boolean, def when unset.
func (c Config) Bool(key string, def bool) bool {
	switch v := c[key].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true") || v == "1" || strings.EqualFold(v, "yes")
	default:
		return def
	}
}

// Materialized returns the materialization, "view" by default (as dbt).
func (c Config) Materialized() string {
	if m := c.String("materialized"); m != "" {
		return m
	}
	return "view"
}

// Tags returns the node's tags.
func (c Config) Tags() []string { return c.List("tags") }

// Enabled reports whether the node is enabled (default true).
func (c Config) Enabled() bool { return c.Bool("enabled", true) }

// Flat renders scalar config values as strings for selectors and listings.
func (c Config) Flat() map[string]string {
	out := map[string]string{}
	for k, v := range c {
		switch x := v.(type) {
		case map[string]any:
			continue
		case []any, []string:
			out[k] = strings.Join(StringList(x), ",")
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// folderConfig is the per-folder config tree of project.yml's models:/seeds:.
type folderConfig struct {
	config    Config
	folders   map[string]*folderConfig
	line, col int // of the folder's key in project.yml
}

// lookup merges configs from the root down to the folder path dir
// (slash separated, relative to a model/seed path).
func (f *folderConfig) lookup(dir string) Config {
	cfg := Config{}
	cur := f
	if cur == nil {
		return cfg
	}
	cfg = cfg.Merge(cur.config)
	if dir == "" || dir == "." {
		return cfg
	}
	for _, part := range strings.Split(dir, "/") {
		next, ok := cur.folders[part]
		if !ok {
			break
		}
		cur = next
		cfg = cfg.Merge(cur.config)
	}
	return cfg
}

// parseFolderConfig reads the mapping at key (models or seeds) of
// project.yml with positions, so unknown keys point at their line.
func parseFolderConfig(file string, src []byte, key string, known []string) (*folderConfig, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, nil // reported by the strict decode
	}
	var errs diag.List
	for _, doc := range f.Docs {
		root, ok := doc.Body.(*ast.MappingNode)
		if !ok {
			continue
		}
		for _, kv := range root.Values {
			if kv.Key.String() != key {
				continue
			}
			fc := &folderConfig{config: Config{}, folders: map[string]*folderConfig{}}
			walkFolderConfig(file, src, kv.Value, fc, known, &errs)
			return fc, errs.Err()
		}
	}
	return nil, nil
}

func walkFolderConfig(file string, src []byte, n ast.Node, fc *folderConfig, known []string, errs *diag.List) {
	m, ok := mapping(n)
	if !ok {
		if n != nil && n.Type() != ast.NullType {
			pos := n.GetToken().Position
			errs.Add(diag.At(file, src, pos.Line, pos.Column, "expected a mapping of config keys and folders"))
		}
		return
	}
	knownSet := map[string]bool{}
	for _, k := range known {
		knownSet[k] = true
	}
	for _, kv := range m.Values {
		raw := kv.Key.String()
		key := normalizeKey(raw)
		_, isMap := mapping(kv.Value)
		plus := strings.HasPrefix(raw, "+")
		if isMap && !plus && !mapValuedKeys[key] {
			pos := kv.Key.GetToken().Position
			sub := &folderConfig{config: Config{}, folders: map[string]*folderConfig{}, line: pos.Line, col: pos.Column}
			fc.folders[raw] = sub
			walkFolderConfig(file, src, kv.Value, sub, known, errs)
			continue
		}
		if why := unsupportedConfig[key]; why != "" {
			pos := kv.Key.GetToken().Position
			errs.Add(diag.At(file, src, pos.Line, pos.Column, "config %s is not supported: %s", raw, why))
			continue
		}
		if !knownSet[key] {
			pos := kv.Key.GetToken().Position
			msg := fmt.Sprintf("unknown config key %q", raw)
			if s := textutil.Suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs.Add(diag.At(file, src, pos.Line, pos.Column, "%s", msg))
			continue
		}
		var v any
		if err := nodeValue(kv.Value, &v); err != nil {
			pos := kv.Value.GetToken().Position
			errs.Add(diag.At(file, src, pos.Line, pos.Column, "%v", err))
			continue
		}
		if err := CheckConfigValue(key, v); err != nil {
			pos := kv.Value.GetToken().Position
			errs.Add(diag.At(file, src, pos.Line, pos.Column, "%v", err))
			continue
		}
		fc.config[key] = v
	}
}

func mapping(n ast.Node) (*ast.MappingNode, bool) {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x, true
	case *ast.MappingValueNode:
		return &ast.MappingNode{Values: []*ast.MappingValueNode{x}}, true
	}
	return nil, false
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
