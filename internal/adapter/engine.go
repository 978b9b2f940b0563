package adapter

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Engine is what one warehouse engine tells the rest of ingot about
// itself. Each engine package returns one from its Engine function; the
// CLI lists them once in a Registry, and everything that depends on the
// engine (profile keys, quoting, macro dispatch, unit-test placement, the
// materialization paths) asks the registry instead of naming engines.
type Engine struct {
	// Name is the profiles.yml `type` that selects the engine.
	Name string
	// DecodeOptions reads the engine's own keys of a profiles.yml output
	// (everything but type, threads and settings) and returns its options
	// value, which Open receives as Target.Options. Unknown keys and bad
	// values are errors located by src.
	DecodeOptions func(src OptionSource) (Options, error)
	// Open connects to a target of this engine.
	Open    func(ctx context.Context, t Target) (Adapter, error)
	Dialect Dialect
	Caps    Caps

	// DBT, when set, says how `ingot convert-dbt` carries an output of a
	// dbt profiles.yml over to this engine.
	DBT *DBTProfile
	// Starter, when set, gives the keys (besides type) of the output a
	// project gets when it names no warehouse: a local database named
	// after the project. The registry's first engine with one is used.
	Starter func(project string) [][2]string
}

// DBTProfile maps an output of dbt's profiles.yml to one of an engine.
type DBTProfile struct {
	// Type is the dbt adapter type it converts ("postgres" for
	// dbt-postgres).
	Type string
	// Keys maps each dbt key ingot reads to its key in the engine's
	// output, dbt's other spellings included; type, threads and schema,
	// which every engine has, are not listed.
	Keys map[string]string
}

// OptionSource is one profiles.yml output as an engine's DecodeOptions
// sees it. The project package implements it over the parsed file.
type OptionSource interface {
	// Decode decodes the engine's keys into v, a pointer to a struct with
	// yaml tags; a key v has no field for is an error at its line, with
	// the closest known key suggested.
	Decode(v any) error
	// Errorf is an error at key's line of profiles.yml (the output's own
	// line when key is absent).
	Errorf(key, format string, args ...any) error
	// Path resolves a file path given in the profile against the project
	// root; "" and ":memory:" are returned as they are.
	Path(p string) string
}

// Options is an engine's decoded profile options.
type Options interface {
	// Fields lists the options for `ingot debug`, secrets masked; rel
	// turns an absolute path into a project-relative one.
	Fields(rel func(string) string) [][2]string
}

// LocalFiles is implemented by options whose warehouse is files on this
// machine (a DuckDB database), for `ingot clean --warehouse`.
type LocalFiles interface {
	WarehouseFiles() []string
}

// Dialect is how an engine spells SQL that ingot writes.
type Dialect struct {
	// QuoteChar opens and closes a quoted identifier; a quote inside is
	// doubled. `"` (the SQL standard) when empty.
	QuoteChar string
	// QuoteFunc, when set, quotes instead of QuoteChar (an engine that
	// leaves plain names bare, say).
	QuoteFunc func(ident string) string
	// DefaultSchema is where the engine puts relations named without a
	// schema ("main" on DuckDB, "public" on PostgreSQL).
	DefaultSchema string
	// MacroPrefixes are the macro name prefixes tried, in order, before
	// default__ when a macro is called: {"duckdb"} makes a call of x use
	// duckdb__x when it exists. An engine that runs another engine's SQL
	// lists its own name first and then that engine's.
	MacroPrefixes []string
	// MaxIdentifierBytes is the longest name the engine keeps (0: no
	// limit); the identifier template function cuts names from data to
	// the smallest limit of all registered engines.
	MaxIdentifierBytes int
	// FloatType is the type unit-test fixtures give decimal numbers.
	FloatType string
	// DuckDBSQL is true when the engine's SQL is DuckDB's: unit tests then
	// run in an in-memory DuckDB with no warehouse open (else in scratch
	// schemas of the target), and ingot check's DuckDB binder speaks the
	// target's SQL.
	DuckDBSQL bool
}

// Quote quotes an identifier.
func (d Dialect) Quote(ident string) string {
	if d.QuoteFunc != nil {
		return d.QuoteFunc(ident)
	}
	q := d.QuoteChar
	if q == "" {
		q = `"`
	}
	return q + strings.ReplaceAll(ident, q, q+q) + q
}

// Literal renders s as a string literal, embedded quotes doubled: the SQL
// standard's form, which every engine here reads.
func (d Dialect) Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// RelationSQL renders a quoted relation name: database.schema.name, the
// database omitted when empty.
func (d Dialect) RelationSQL(r Relation) string {
	s := d.Quote(r.Schema) + "." + d.Quote(r.Name)
	if r.Database != "" {
		s = d.Quote(r.Database) + "." + s
	}
	return s
}

// Caps are what an engine can do; shared code and the materializations
// pick a path by them (Strategy, Replace), and what readers of a rebuilt
// relation see and what a failing hook undoes follow from them
// (ReaderView, HookFailure, RunLock: README's table of engines is checked
// against these).
type Caps struct {
	// TransactionalDDL: CREATE, DROP and RENAME take effect at commit and
	// roll back with the transaction.
	TransactionalDDL bool
	// AtomicReplace: one statement (CREATE OR REPLACE) replaces a table or
	// view with a new one.
	AtomicReplace bool
	// Merge: the engine has MERGE; without it the merge strategy is run
	// as delete+insert, which gives the same rows for a unique key.
	Merge bool
	// AdvisoryLock: the run lock is held by the server, so runs from
	// different machines exclude each other; else it is local to the
	// process or the database file.
	AdvisoryLock bool
	// Catalogs: relations may name a database (catalog) above the schema.
	Catalogs bool
}

// Strategy is the incremental strategy to run for a model configured with
// strategy and keys: merge (also the default with a unique key) becomes
// delete+insert on an engine without MERGE, which gives the same rows.
func (c Caps) Strategy(strategy string, keys []string) string {
	if !c.Merge && (strategy == "merge" || (strategy == "" && len(keys) > 0)) {
		return "delete+insert"
	}
	return strategy
}

// Replace is how a rebuilt table or view takes the old one's place.
type Replace int

const (
	// ReplaceInTransaction builds the new relation under a temporary name,
	// then drops the old one and renames the new one, all in the build's
	// transaction, its hooks inside it.
	ReplaceInTransaction Replace = iota
	// ReplaceInPlace replaces the relation with one CREATE OR REPLACE
	// statement; no transaction can hold it, so hooks run before and
	// after it.
	ReplaceInPlace
	// ReplaceDropRename builds under a temporary name, then drops the old
	// relation and renames the new one, each a statement of its own.
	ReplaceDropRename
)

// String says what the path does, for documentation.
func (r Replace) String() string {
	switch r {
	case ReplaceInTransaction:
		return "built under a temporary name, swapped in by drop and rename in the build's transaction"
	case ReplaceInPlace:
		return "replaced in place by one CREATE OR REPLACE"
	}
	return "built under a temporary name, then the old one dropped and the new one renamed"
}

// Replace picks how rebuilt relations replace old ones: in a transaction
// where DDL is transactional, else in place where one statement can
// replace a relation, else by drop and rename.
func (c Caps) Replace() Replace {
	switch {
	case c.TransactionalDDL:
		return ReplaceInTransaction
	case c.AtomicReplace:
		return ReplaceInPlace
	}
	return ReplaceDropRename
}

// ReaderView says what another session reading a relation sees while a
// run rebuilds it, as the replace path the capabilities choose guarantees.
func (c Caps) ReaderView() string {
	switch c.Replace() {
	case ReplaceInTransaction:
		return "the old relation until the rebuild commits, then the new one; never a missing or partial one"
	case ReplaceInPlace:
		return "the old relation or the new one; never a partial one"
	}
	return "possibly a missing relation for a moment while it is replaced"
}

// HookFailure says what stays when a model's post_hook fails.
func (c Caps) HookFailure() string {
	if c.Replace() == ReplaceInTransaction {
		return "the old relation: the build rolls back"
	}
	return "the new relation: no transaction holds the build"
}

// RunLock says which runs the target's run lock keeps apart.
func (c Caps) RunLock() string {
	if c.AdvisoryLock {
		return "runs from any machine (a lock the server holds)"
	}
	return "runs that open the same database or catalog file (its lock, or a lock file beside it)"
}

// MergeAs is the statement the merge strategy runs as.
func (c Caps) MergeAs() string {
	if c.Merge {
		return "MERGE"
	}
	return "delete+insert (the same rows for a unique key)"
}

// Registry is the set of engines a run can use.
type Registry struct {
	engines []*Engine
}

// NewRegistry lists engines; names must be unique and complete.
func NewRegistry(engines ...*Engine) (*Registry, error) {
	seen := map[string]bool{}
	for _, e := range engines {
		switch {
		case e == nil || e.Name == "":
			return nil, fmt.Errorf("engine registry: an engine has no name")
		case seen[e.Name]:
			return nil, fmt.Errorf("engine registry: engine %q registered twice", e.Name)
		case e.Open == nil || e.DecodeOptions == nil:
			return nil, fmt.Errorf("engine registry: engine %q lacks Open or DecodeOptions", e.Name)
		}
		seen[e.Name] = true
	}
	return &Registry{engines: engines}, nil
}

// Names lists the engines' names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, len(r.engines))
	for i, e := range r.engines {
		out[i] = e.Name
	}
	sort.Strings(out)
	return out
}

// Lookup finds an engine by name; ok is false when none has it.
func (r *Registry) Lookup(name string) (e *Engine, ok bool) {
	for _, e := range r.engines {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}

// Open connects to t with its engine.
func (r *Registry) Open(ctx context.Context, t Target) (Adapter, error) {
	e, ok := r.Lookup(t.Type)
	if !ok {
		return nil, fmt.Errorf("target %s: unsupported type %q (engines: %s)", t.Name, t.Type, strings.Join(r.Names(), ", "))
	}
	return e.Open(ctx, t)
}

// ForDBT finds the engine converting dbt outputs of adapter type typ.
func (r *Registry) ForDBT(typ string) (*Engine, bool) {
	for _, e := range r.engines {
		if e.DBT != nil && e.DBT.Type == typ {
			return e, true
		}
	}
	return nil, false
}

// DBTTypes lists the dbt adapter types the engines convert, sorted.
func (r *Registry) DBTTypes() []string {
	var out []string
	for _, e := range r.engines {
		if e.DBT != nil {
			out = append(out, e.DBT.Type)
		}
	}
	sort.Strings(out)
	return out
}

// Starter is the engine of a project that names no warehouse (see
// Engine.Starter): the first registered one that has a starter output.
func (r *Registry) Starter() (*Engine, bool) {
	for _, e := range r.engines {
		if e.Starter != nil {
			return e, true
		}
	}
	return nil, false
}

// MacroPrefixes lists every engine's macro prefixes, each once: a macro
// named with one of them (or default__) is a version of the unprefixed one.
func (r *Registry) MacroPrefixes() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range r.engines {
		for _, p := range e.Dialect.MacroPrefixes {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// MaxIdentifierBytes is the smallest identifier limit of the registered
// engines (0 when none has one), so a name cut to it is spelt the same on
// every engine.
func (r *Registry) MaxIdentifierBytes() int {
	n := 0
	for _, e := range r.engines {
		if l := e.Dialect.MaxIdentifierBytes; l > 0 && (n == 0 || l < n) {
			n = l
		}
	}
	return n
}

// ProfileInt is a whole number in profiles.yml, written 5432 or "5432"
// (values from env_var are strings).
type ProfileInt int

// UnmarshalYAML implements the YAML decoder's bytes unmarshaler.
func (f *ProfileInt) UnmarshalYAML(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	if s == "" || s == "null" || s == "~" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*f = ProfileInt(n)
	return nil
}
