package seedfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// StateTable is the table, in a seed's schema, in which adapters record the
// files of incremental seeds they loaded: one row per seed (table name) and
// file (relative to the project root) with the file's fingerprint.
const StateTable = "_ingot_seed_files"

// StateColumns are StateTable's columns, all text: seed, file, fingerprint.
var StateColumns = [3]string{"seed", "file", "fingerprint"}

// RelPath is f relative to root with forward slashes, as _source_file holds
// it (f itself when it cannot be made relative).
func RelPath(root, f string) string { return relPath(root, f) }

// File is one current file of an incremental seed.
type File struct {
	Path        string // absolute
	Rel         string // relative to the project root, forward slashes
	Fingerprint string
}

// FilePlan is what an incremental load has to do, from the files a seed
// has now and those recorded at its last load.
type FilePlan struct {
	Files     []File   // every current file, in the seed's order
	Load      []File   // new and changed files: read these
	New       []string // relative paths, sorted
	Changed   []string
	Removed   []string
	Unchanged []string
}

// Delete lists the files whose rows go: changed and removed ones.
func (p FilePlan) Delete() []string {
	out := append(append([]string(nil), p.Changed...), p.Removed...)
	sort.Strings(out)
	return out
}

// Nothing reports whether no file is new, changed or removed.
func (p FilePlan) Nothing() bool {
	return len(p.New)+len(p.Changed)+len(p.Removed) == 0
}

// LoadPaths are the absolute paths of Load.
func (p FilePlan) LoadPaths() []string {
	out := make([]string, len(p.Load))
	for i, f := range p.Load {
		out[i] = f.Path
	}
	return out
}

// Plan compares the files of s (with s.Fingerprints) with loaded, the
// fingerprints recorded at the last load keyed by relative path.
func Plan(s adapter.Seed, loaded map[string]string) (FilePlan, error) {
	var p FilePlan
	current := map[string]bool{}
	for _, f := range s.Files {
		fp, ok := s.Fingerprints[f]
		if !ok || fp == "" {
			return p, fmt.Errorf("no fingerprint for %s", relPath(s.Root, f))
		}
		file := File{Path: f, Rel: relPath(s.Root, f), Fingerprint: fp}
		if current[file.Rel] {
			continue
		}
		current[file.Rel] = true
		p.Files = append(p.Files, file)
		old, seen := loaded[file.Rel]
		switch {
		case !seen:
			p.New = append(p.New, file.Rel)
			p.Load = append(p.Load, file)
		case old != fp:
			p.Changed = append(p.Changed, file.Rel)
			p.Load = append(p.Load, file)
		default:
			p.Unchanged = append(p.Unchanged, file.Rel)
		}
	}
	for rel := range loaded {
		if !current[rel] {
			p.Removed = append(p.Removed, rel)
		}
	}
	for _, l := range [][]string{p.New, p.Changed, p.Removed, p.Unchanged} {
		sort.Strings(l)
	}
	return p, nil
}

// Message is the result message of an incremental load that inserted
// inserted rows and deleted deleted ones, e.g.
// "DELETE 3, INSERT 5 (1 file new, 1 file changed, 2 files unchanged)" or
// "INSERT 0 (3 files unchanged)".
func (p FilePlan) Message(inserted, deleted int64) string {
	head := fmt.Sprintf("INSERT %d", inserted)
	if deleted > 0 {
		head = fmt.Sprintf("DELETE %d, %s", deleted, head)
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{len(p.New), "new"}, {len(p.Changed), "changed"}, {len(p.Removed), "removed"}, {len(p.Unchanged), "unchanged"}} {
		if c.n > 0 {
			parts = append(parts, files(c.n)+" "+c.what)
		}
	}
	if len(parts) == 0 {
		return head
	}
	return head + " (" + strings.Join(parts, ", ") + ")"
}

// FullMessage is the result message of an incremental seed loaded whole.
func FullMessage(rows int64, nfiles int) string {
	return fmt.Sprintf("INSERT %d (%s loaded)", rows, files(nfiles))
}

func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// LoadsWhole reports whether an incremental seed load replaces the table
// with all of its files instead of appending to it: on a full refresh,
// when the table (kind, cols) is missing or has no _source_file column,
// when no file was recorded as loaded, and when no file is unchanged.
func LoadsWhole(s adapter.Seed, kind adapter.Kind, cols []adapter.Column, loaded map[string]string, plan FilePlan) bool {
	return s.FullRefresh || kind != adapter.KindTable || len(loaded) == 0 || len(plan.Unchanged) == 0 || !HasSourceFile(cols)
}

// AppendedColumns returns the columns of incremental seed s's table when
// its next load would append to it (so keep them), from the table's
// description and the record of loaded files; ok is false when the load
// would be whole (see LoadsWhole) or either cannot be read.
func AppendedColumns(s adapter.Seed, describe func() (adapter.Kind, []adapter.Column, error), loadedFiles func() (map[string]string, error)) (cols []adapter.Column, ok bool) {
	kind, cols, err := describe()
	if err != nil || kind != adapter.KindTable {
		return nil, false
	}
	loaded, err := loadedFiles()
	if err != nil {
		return nil, false
	}
	plan, err := Plan(s, loaded)
	if err != nil || LoadsWhole(s, kind, cols, loaded, plan) {
		return nil, false
	}
	return cols, true
}

// CheckColumns reports whether rows read from new files (columns files) can
// be appended to a table with columns table: every column of the files must
// exist in the table (names compare case-insensitively) with the same type
// (compared after norm, when set). Table columns the files lack are
// allowed: they are NULL, as a full load of files with different columns
// gives. The error asks for --full-refresh.
func CheckColumns(r adapter.Relation, table, files []adapter.Column, norm func(string) string) error {
	if norm == nil {
		norm = func(s string) string { return s }
	}
	types := map[string]string{}
	for _, c := range table {
		types[strings.ToLower(c.Name)] = c.Type
	}
	var problems []string
	for _, c := range files {
		t, ok := types[strings.ToLower(c.Name)]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("new column %s %s", c.Name, c.Type))
		case !strings.EqualFold(norm(t), norm(c.Type)):
			problems = append(problems, fmt.Sprintf("column %s is %s in the new files, %s in the table", c.Name, c.Type, t))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the new or changed files do not fit the existing table %s: %s; "+
		"load the seed whole with --full-refresh (or fix the types with column_types)",
		r, strings.Join(problems, "; "))
}

// HasSourceFile reports whether cols has the _source_file column.
func HasSourceFile(cols []adapter.Column) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, SourceFileColumn) {
			return true
		}
	}
	return false
}
