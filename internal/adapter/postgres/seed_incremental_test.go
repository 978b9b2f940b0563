package postgres

import (
	"context"
	"fmt"
	"reflect"
	"sort"
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
	wantRows    []string // n|_source_file
	wantState   []string // file|fingerprint
	wantCopy    string   // "" any; "none": no COPY sent; else the table copied into
	wantSent    []string // statements sent (prefixes)
	// wantColumns is what SeedColumns tells before the load ("name type"):
	// the table's columns when the load appends, else the files'.
	wantColumns []string
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
			files: []seedFile{a1, b1}, wantMsg: "INSERT 0 (2 files unchanged)", wantCopy: "none",
			wantRows: first.wantRows, wantState: first.wantState,
		}}},
		{name: "new file appended", steps: []seedStep{first, {
			files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)", wantCopy: `"seeds"."ev"`,
			wantRows:  append(append([]string(nil), first.wantRows...), "4|seeds/ev/c.jsonl"),
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v1", "seeds/ev/c.jsonl|v1"},
		}}},
		{name: "changed file replaced", steps: []seedStep{first, {
			files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)", wantCopy: `"seeds"."ev"`,
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2"},
		}}},
		{name: "removed file deleted", steps: []seedStep{first, {
			files: []seedFile{a1}, wantMsg: "DELETE 1, INSERT 0 (1 file removed, 1 file unchanged)", wantCopy: "none",
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1"},
		}}},
		{name: "new, changed and removed at once", steps: []seedStep{
			{files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 4 (3 files loaded)"},
			{files: []seedFile{a1, b2, {"seeds/ev/d.jsonl", lines("5"), "v1"}},
				wantMsg:   "DELETE 2, INSERT 3 (1 file new, 1 file changed, 1 file removed, 1 file unchanged)",
				wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl", "5|seeds/ev/d.jsonl"},
				wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2", "seeds/ev/d.jsonl|v1"}},
		}},
		{name: "full refresh reloads every file", steps: []seedStep{first, {
			files: []seedFile{a1, b1}, fullRefresh: true, wantMsg: "INSERT 3 (2 files loaded)", wantCopy: `"seeds"."ev__ingot_tmp"`,
			wantRows: first.wantRows, wantState: first.wantState,
		}}},
		{name: "a single changed file is loaded whole", steps: []seedStep{
			{files: []seedFile{a1}, wantMsg: "INSERT 2 (1 file loaded)"},
			{files: []seedFile{{a1.rel, lines("7"), "v2"}}, wantMsg: "INSERT 1 (1 file loaded)",
				wantRows: []string{"7|seeds/ev/a.jsonl"}, wantState: []string{"seeds/ev/a.jsonl|v2"}},
		}},
		{name: "unreadable file keeps the old table", steps: []seedStep{first,
			{files: []seedFile{a1, {b1.rel, "{\"n\": 9}\n{\"n\" 9}\n", "v2"}}, wantErr: "seeds/ev/b.jsonl:2: malformed JSON",
				wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)"},
		}},
		{
			// The cast fails while rows are copied, after the changed
			// file's rows were deleted: the transaction undoes the delete.
			name: "failure after the delete keeps the old table", columnTypes: map[string]string{"n": "integer"},
			steps: []seedStep{first,
				{files: []seedFile{a1, {b1.rel, `{"n": "x", "tag": "t"}` + "\n", "v2"}},
					wantErr:  `seeds/ev/b.jsonl:1: a value does not fit its column_types type: Failed to cast value to numerical: "x"`,
					wantSent: []string{`DELETE FROM "seeds"."ev" WHERE "_source_file" = ANY($1)`},
					wantRows: first.wantRows, wantState: first.wantState},
			},
		},
		{name: "new columns ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4, "tag": "t", "extra": 1}` + "\n", "v1"}},
				wantColumns: []string{"n bigint", "tag text", "_source_file text"},
				wantErr:     "new column extra bigint; load the seed whole with --full-refresh", wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4, "tag": "t", "extra": 1}` + "\n", "v1"}}, fullRefresh: true,
				wantColumns: []string{"n bigint", "tag text", "extra bigint", "_source_file text"},
				wantMsg:     "INSERT 4 (3 files loaded)"},
		}},
		{name: "changed types ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4.5, "tag": "t"}` + "\n", "v1"}},
				wantErr: "column n is double precision in the new files, bigint in the table", wantRows: first.wantRows},
		}},
		{name: "same types spelled differently fit", columnTypes: map[string]string{"at": "timestamp"}, steps: []seedStep{
			{files: []seedFile{{"seeds/ev/a.jsonl", `{"n": 1, "at": "2024-05-28 13:00:00"}` + "\n", "v1"}}},
			{files: []seedFile{{"seeds/ev/a.jsonl", `{"n": 1, "at": "2024-05-28 13:00:00"}` + "\n", "v1"}, {"seeds/ev/b.jsonl", `{"n": 2, "at": "2024-05-28 14:00:00"}` + "\n", "v1"}},
				wantMsg: "INSERT 1 (1 file new, 1 file unchanged)"},
		}},
		{name: "columns the new files lack are null", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4}` + "\n", "v1"}}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)"},
		}},
		{name: "a plain load forgets what was recorded", steps: []seedStep{first,
			{files: []seedFile{a1, b1, c1}, plain: true, wantMsg: "INSERT 4", wantState: []string{}},
			{files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 4 (3 files loaded)"},
		}},
		{name: "a dropped table is loaded whole", steps: []seedStep{first,
			{before: "DROP TABLE seeds.ev", files: []seedFile{a1, b1}, wantMsg: "INSERT 3 (2 files loaded)", wantRows: first.wantRows, wantState: first.wantState},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			root := t.TempDir()
			for i, st := range tt.steps {
				s := adapter.Seed{Relation: rel("seeds", "ev"), Root: root, Format: "json", ColumnTypes: tt.columnTypes,
					SourceFileColumn: true, Incremental: !st.plain, FullRefresh: st.fullRefresh, Fingerprints: map[string]string{}}
				for _, f := range st.files {
					p := writeFile(t, root, f.rel, f.content)
					s.Files = append(s.Files, p)
					s.Fingerprints[p] = f.fp
				}
				if st.before != "" {
					e.exec(st.before)
				}
				if st.wantColumns != nil {
					cols, err := e.a.SeedColumns(ctx, s)
					if err != nil {
						t.Fatalf("step %d: SeedColumns: %v", i+1, err)
					}
					var got []string
					for _, c := range cols {
						got = append(got, c.Name+" "+c.Type)
					}
					if !reflect.DeepEqual(got, st.wantColumns) {
						t.Errorf("step %d: SeedColumns %q, want %q", i+1, got, st.wantColumns)
					}
				}
				e.sent.reset()
				res, err := e.a.LoadSeed(ctx, s)
				switch {
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d: error %v, want %q", i+1, err, st.wantErr)
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d: %v", i+1, err)
				}
				if st.wantMsg != "" && res.Message != st.wantMsg {
					t.Errorf("step %d: message %q, want %q", i+1, res.Message, st.wantMsg)
				}
				if st.wantRows != nil {
					want := append([]string{}, st.wantRows...)
					sort.Strings(want)
					if got := e.rows("select n, _source_file from seeds.ev"); !reflect.DeepEqual(got, want) {
						t.Errorf("step %d: rows\n got %q\nwant %q", i+1, got, want)
					}
				}
				if st.wantState != nil {
					want := append([]string{}, st.wantState...)
					sort.Strings(want)
					if got := e.rows("select file, fingerprint from seeds._ingot_seed_files where seed = 'ev'"); !reflect.DeepEqual(got, want) {
						t.Errorf("step %d: recorded files\n got %q\nwant %q", i+1, got, want)
					}
				}
				copies := e.sent.matching("copy ")
				switch {
				case st.wantCopy == "none" && len(copies) > 0:
					t.Errorf("step %d: rows copied: %q", i+1, copies)
				case st.wantCopy != "" && st.wantCopy != "none" && (len(copies) != 1 || !strings.HasPrefix(copies[0], "copy "+st.wantCopy+" (")):
					t.Errorf("step %d: copies %q, want one into %s", i+1, copies, st.wantCopy)
				}
				for _, want := range st.wantSent {
					found := false
					for _, q := range e.sent.all() {
						found = found || strings.HasPrefix(q, want)
					}
					if !found {
						t.Errorf("step %d: no statement %q sent", i+1, want)
					}
				}
				if l := e.leftovers(); len(l) > 0 {
					t.Errorf("step %d: leftovers: %v", i+1, l)
				}
			}
		})
	}
}

// TestLoadSeedIncrementalConcurrent loads several incremental seeds of one
// schema at once, twice: they share the record of loaded files, which the
// first loads race to create.
func TestLoadSeedIncrementalConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	var seeds []adapter.Seed
	for i := range 4 {
		name := fmt.Sprintf("s%d", i)
		s := adapter.Seed{Relation: rel("seeds", name), Root: root, Format: "json", SourceFileColumn: true, Incremental: true, Fingerprints: map[string]string{}}
		for _, f := range []string{"a", "b"} {
			p := writeFile(t, root, "seeds/"+name+"/"+f+".jsonl", lines("1", "2"))
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
				res, err := e.a.LoadSeed(ctx, s)
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
	e.wantRows("select count(*) from seeds._ingot_seed_files where fingerprint = 'v2'", "4")
}
