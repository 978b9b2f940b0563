package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// seedFile is one file of an incremental seed at one step: its content and
// the fingerprint the runner would compute.
type seedFile struct {
	rel, content, fp string
}

type seedStep struct {
	before      string // SQL run before the load
	files       []seedFile
	plain       bool // load as a non-incremental seed
	fullRefresh bool
	wantMsg     string
	wantErr     string   // substring
	wantRows    []string // n|_source_file, sorted
	wantState   []string // file|fingerprint, sorted
	wantRead    []string // files the load statement reads (substrings of it)
	wantNotRead []string // files it must not read
	wantSent    []string // statements sent (prefixes)
	// columnsFrom, when set, checks SeedColumns before the load: "table"
	// (an appending load keeps the table's columns; no file is read) or
	// "files" (the files are described); either way the columns are the
	// loaded table's.
	columnsFrom string
}

func lines(ns ...string) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString(`{"n": ` + n + `, "tag": "t` + n + `"}` + "\n")
	}
	return b.String()
}

func TestLoadSeedIncremental(t *testing.T) {
	a1 := seedFile{"seeds/ev/a.jsonl", lines("1", "2"), "v1"}
	b1 := seedFile{"seeds/ev/b.jsonl", lines("3"), "v1"}
	b2 := seedFile{"seeds/ev/b.jsonl", lines("30", "31"), "v2"}
	c1 := seedFile{"seeds/ev/c.jsonl", lines("4"), "v1"}
	first := seedStep{files: []seedFile{a1, b1}, wantMsg: "INSERT 3 (2 files loaded)",
		wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "3|seeds/ev/b.jsonl"},
		wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v1"}}

	tests := []struct {
		name        string
		columnTypes map[string]string
		steps       []seedStep
	}{
		{name: "unchanged files load nothing", steps: []seedStep{first, {
			files: []seedFile{a1, b1}, wantMsg: "INSERT 0 (2 files unchanged)",
			wantRows: first.wantRows, wantState: first.wantState,
		}}},
		{name: "new file appended", steps: []seedStep{first, {
			files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)", columnsFrom: "table",
			wantRows:  append(append([]string(nil), first.wantRows...), "4|seeds/ev/c.jsonl"),
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v1", "seeds/ev/c.jsonl|v1"},
			wantRead:  []string{"c.jsonl"}, wantNotRead: []string{"a.jsonl", "b.jsonl"},
		}}},
		{name: "changed file replaced", steps: []seedStep{first, {
			files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)",
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2"},
			wantRead:  []string{"b.jsonl"}, wantNotRead: []string{"a.jsonl"},
		}}},
		{name: "removed file deleted", steps: []seedStep{first, {
			files: []seedFile{a1}, wantMsg: "DELETE 1, INSERT 0 (1 file removed, 1 file unchanged)",
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1"},
		}}},
		{name: "new, changed and removed at once", steps: []seedStep{
			{files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 4 (3 files loaded)"},
			{files: []seedFile{a1, b2, {"seeds/ev/d.jsonl", lines("5"), "v1"}},
				wantMsg:   "DELETE 2, INSERT 3 (1 file new, 1 file changed, 1 file removed, 1 file unchanged)",
				wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "5|seeds/ev/d.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl"},
				wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2", "seeds/ev/d.jsonl|v1"}},
		}},
		{name: "full refresh reloads every file", steps: []seedStep{first, {
			files: []seedFile{a1, b1}, fullRefresh: true, wantMsg: "INSERT 3 (2 files loaded)", columnsFrom: "files",
			wantRows: first.wantRows, wantState: first.wantState, wantRead: []string{"a.jsonl", "b.jsonl"},
		}}},
		{name: "a single changed file is loaded whole", steps: []seedStep{
			{files: []seedFile{a1}, wantMsg: "INSERT 2 (1 file loaded)"},
			{files: []seedFile{{a1.rel, lines("7"), "v2"}}, wantMsg: "INSERT 1 (1 file loaded)", columnsFrom: "files",
				wantRows: []string{"7|seeds/ev/a.jsonl"}, wantState: []string{"seeds/ev/a.jsonl|v2"}},
		}},
		{name: "unreadable file keeps the old table", steps: []seedStep{first,
			{files: []seedFile{a1, {b1.rel, "{\"n\": 9}\n{\"n\" 9}\n", "v2"}}, wantErr: "seeds/ev/b.jsonl:2: malformed JSON",
				wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)"},
		}},
		{
			// The cast fails while rows are inserted, after the changed
			// file's rows were deleted: the transaction undoes the delete.
			name: "failure after the delete keeps the old table", columnTypes: map[string]string{"n": "integer"},
			steps: []seedStep{first,
				{files: []seedFile{a1, {b1.rel, `{"n": "x", "tag": "t"}` + "\n", "v2"}}, wantErr: `seeds/ev/b.jsonl:1: a value does not fit its column_types type: Failed to cast value to numerical: "x"`,
					wantSent: []string{`DELETE FROM "seeds"."ev" WHERE "_source_file" IN ('seeds/ev/b.jsonl')`, "INSERT INTO", "ROLLBACK"},
					wantRows: first.wantRows, wantState: first.wantState},
			},
		},
		{name: "new columns ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4, "tag": "t", "extra": 1}` + "\n", "v1"}},
				wantErr: "new column extra BIGINT; load the seed whole with --full-refresh", wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4, "tag": "t", "extra": 1}` + "\n", "v1"}}, fullRefresh: true,
				wantMsg: "INSERT 4 (3 files loaded)"},
		}},
		{name: "changed types ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4.5, "tag": "t"}` + "\n", "v1"}},
				wantErr: "column n is DOUBLE in the new files, BIGINT in the table", wantRows: first.wantRows},
		}},
		{name: "columns the new files lack are null", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4}` + "\n", "v1"}}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)", columnsFrom: "table"},
		}},
		{name: "a plain load forgets what was recorded", steps: []seedStep{first,
			{files: []seedFile{a1, b1, c1}, plain: true, wantMsg: "INSERT 4", wantState: []string{}},
			{files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 4 (3 files loaded)"},
		}},
		{name: "a dropped table is loaded whole", steps: []seedStep{first,
			{before: "DROP TABLE seeds.ev", files: []seedFile{a1, b1}, wantMsg: "INSERT 3 (2 files loaded)", wantRows: first.wantRows, wantState: first.wantState, columnsFrom: "files"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			var mu sync.Mutex
			var sent []string
			a, err := Open(ctx, adapter.Target{Name: "dev", Type: "duckdb", Threads: 2, OnStatement: func(q string) {
				mu.Lock()
				sent = append(sent, q)
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			for i, st := range tt.steps {
				s := adapter.Seed{Relation: rel("seeds", "ev"), Root: root, Format: "json", ColumnTypes: tt.columnTypes,
					SourceFileColumn: true, Incremental: !st.plain, FullRefresh: st.fullRefresh, Fingerprints: map[string]string{}}
				for _, f := range st.files {
					p := filepath.Join(root, filepath.FromSlash(f.rel))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
						t.Fatal(err)
					}
					s.Files = append(s.Files, p)
					s.Fingerprints[p] = f.fp
				}
				if st.before != "" {
					if _, err := a.Exec(ctx, st.before); err != nil {
						t.Fatal(err)
					}
				}
				var described []adapter.Column
				if st.columnsFrom != "" {
					mu.Lock()
					sent = nil
					mu.Unlock()
					if described, err = a.SeedColumns(ctx, s); err != nil {
						t.Fatalf("step %d: SeedColumns: %v", i+1, err)
					}
					mu.Lock()
					readFiles := false
					for _, q := range sent {
						readFiles = readFiles || strings.Contains(q, "read_json")
					}
					mu.Unlock()
					if readFiles != (st.columnsFrom == "files") {
						t.Errorf("step %d: SeedColumns read the files: %v, want columns from the %s", i+1, readFiles, st.columnsFrom)
					}
				}
				mu.Lock()
				sent = nil
				mu.Unlock()
				res, err := a.LoadSeed(ctx, s)
				switch {
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d: error %v, want %q", i+1, err, st.wantErr)
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d: %v", i+1, err)
				}
				if st.wantMsg != "" && res.Message != st.wantMsg {
					t.Errorf("step %d: message %q, want %q", i+1, res.Message, st.wantMsg)
				}
				if st.columnsFrom != "" && err == nil {
					_, loaded, derr := a.Describe(ctx, s.Relation)
					if derr != nil {
						t.Fatal(derr)
					}
					if fmt.Sprint(described) != fmt.Sprint(loaded) {
						t.Errorf("step %d: SeedColumns %v, loaded table %v", i+1, described, loaded)
					}
				}
				if st.wantRows != nil {
					got := rowsOf(t, a, "SELECT n, _source_file FROM seeds.ev ORDER BY ALL")
					if strings.Join(got, "\n") != strings.Join(st.wantRows, "\n") {
						t.Errorf("step %d: rows\n got %q\nwant %q", i+1, got, st.wantRows)
					}
				}
				if st.wantState != nil {
					got := rowsOf(t, a, "SELECT file, fingerprint FROM seeds._ingot_seed_files WHERE seed = 'ev' ORDER BY ALL")
					if strings.Join(got, "\n") != strings.Join(st.wantState, "\n") {
						t.Errorf("step %d: recorded files\n got %q\nwant %q", i+1, got, st.wantState)
					}
				}
				mu.Lock()
				var reads string
				for _, want := range st.wantSent {
					found := false
					for _, q := range sent {
						found = found || strings.HasPrefix(q, want)
					}
					if !found {
						t.Errorf("step %d: no statement %q sent", i+1, want)
					}
				}
				for _, q := range sent {
					if strings.Contains(q, "read_json") && !strings.HasPrefix(q, "DESCRIBE") {
						reads += q + "\n"
					}
				}
				mu.Unlock()
				for _, f := range st.wantRead {
					if !strings.Contains(reads, f) {
						t.Errorf("step %d: %s not read; statements:\n%s", i+1, f, reads)
					}
				}
				for _, f := range st.wantNotRead {
					if strings.Contains(reads, f) {
						t.Errorf("step %d: %s read again; statements:\n%s", i+1, f, reads)
					}
				}
				if l := leftovers(t, a); len(l) > 0 {
					t.Errorf("step %d: temporary relations left: %v", i+1, l)
				}
			}
		})
	}
}

// TestLoadSeedIncrementalConcurrent loads several incremental seeds of one
// schema at once, twice: they share the record of loaded files.
func TestLoadSeedIncrementalConcurrent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
	var seeds []adapter.Seed
	for i := range 4 {
		name := fmt.Sprintf("s%d", i)
		s := adapter.Seed{Relation: rel("seeds", name), Root: root, Format: "json", SourceFileColumn: true, Incremental: true, Fingerprints: map[string]string{}}
		for _, f := range []string{"a", "b"} {
			p := filepath.Join(root, "seeds", name, f+".jsonl")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(lines("1", "2")), 0o644); err != nil {
				t.Fatal(err)
			}
			s.Files = append(s.Files, p)
			s.Fingerprints[p] = "v1"
		}
		seeds = append(seeds, s)
	}
	for round, want := range []string{"INSERT 4 (2 files loaded)", "DELETE 2, INSERT 2 (1 file changed, 1 file unchanged)"} {
		var wg sync.WaitGroup
		errs := make([]error, len(seeds))
		msgs := make([]string, len(seeds))
		for i, s := range seeds {
			if round == 1 {
				s.Fingerprints[s.Files[1]] = "v2"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := a.LoadSeed(ctx, s)
				errs[i], msgs[i] = err, res.Message
			}()
		}
		wg.Wait()
		for i := range seeds {
			if errs[i] != nil || msgs[i] != want {
				t.Errorf("round %d seed %d: %q, %v; want %q", round+1, i, msgs[i], errs[i], want)
			}
		}
	}
	if got := rowsOf(t, a, "SELECT count(*) FROM seeds._ingot_seed_files WHERE fingerprint = 'v2'"); len(got) != 1 || got[0] != "4" {
		t.Errorf("recorded: %v", got)
	}
}
