package adaptertest

import (
	"context"
	"fmt"
	"slices"
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
	wantRows    []string // n|_source_file, any order
	wantState   []string // file|fingerprint, any order
	// wantInto is where the load writes rows: "none", "table" (appends to
	// the seed's table) or "temporary" (a new table swapped in); "" any.
	wantInto    string
	wantRead    []string // files the load reads (where statements tell)
	wantNotRead []string // files it must not read
	wantSent    []string // statements sent (prefixes)
	// columnsFrom, when set, checks SeedColumns before the load: "table"
	// (an appending load keeps the table's columns) or "files" (the files
	// are described); either way the columns are the loaded table's.
	columnsFrom string
	wantColumns func(SeedDialect) []string
}

func jsonLines(ns ...string) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString(`{"n": ` + n + `, "tag": "t` + n + `"}` + "\n")
	}
	return b.String()
}

// RunIncrementalSeeds checks incremental seed loading: unchanged, new,
// changed and removed files, full refreshes, failures that keep the old
// table, schema changes and concurrent loads.
func RunIncrementalSeeds(t *testing.T, o Opener) {
	d := o.Dialect.Seeds
	a1 := seedFile{"seeds/ev/a.jsonl", jsonLines("1", "2"), "v1"}
	b1 := seedFile{"seeds/ev/b.jsonl", jsonLines("3"), "v1"}
	b2 := seedFile{"seeds/ev/b.jsonl", jsonLines("30", "31"), "v2"}
	c1 := seedFile{"seeds/ev/c.jsonl", jsonLines("4"), "v1"}
	first := seedStep{files: []seedFile{a1, b1}, wantMsg: "INSERT 3 (2 files loaded)",
		wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "3|seeds/ev/b.jsonl"},
		wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v1"}}
	extra := seedFile{"seeds/ev/c.jsonl", `{"n": 4, "tag": "t", "extra": 1}` + "\n", "v1"}

	tests := []struct {
		name        string
		columnTypes map[string]string
		steps       []seedStep
	}{
		{name: "unchanged files load nothing", steps: []seedStep{first, {
			files: []seedFile{a1, b1}, wantMsg: "INSERT 0 (2 files unchanged)", wantInto: "none",
			wantRows: first.wantRows, wantState: first.wantState,
		}}},
		{name: "new file appended", steps: []seedStep{first, {
			files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)", columnsFrom: "table", wantInto: "table",
			wantRows:  append(slices.Clone(first.wantRows), "4|seeds/ev/c.jsonl"),
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v1", "seeds/ev/c.jsonl|v1"},
			wantRead:  []string{"c.jsonl"}, wantNotRead: []string{"a.jsonl", "b.jsonl"},
		}}},
		{name: "changed file replaced", steps: []seedStep{first, {
			files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)", wantInto: "table",
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2"},
			wantRead:  []string{"b.jsonl"}, wantNotRead: []string{"a.jsonl"},
		}}},
		{name: "removed file deleted", steps: []seedStep{first, {
			files: []seedFile{a1}, wantMsg: "DELETE 1, INSERT 0 (1 file removed, 1 file unchanged)", wantInto: "none",
			wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl"},
			wantState: []string{"seeds/ev/a.jsonl|v1"},
		}}},
		{name: "new, changed and removed at once", steps: []seedStep{
			{files: []seedFile{a1, b1, c1}, wantMsg: "INSERT 4 (3 files loaded)"},
			{files: []seedFile{a1, b2, {"seeds/ev/d.jsonl", jsonLines("5"), "v1"}},
				wantMsg:   "DELETE 2, INSERT 3 (1 file new, 1 file changed, 1 file removed, 1 file unchanged)",
				wantRows:  []string{"1|seeds/ev/a.jsonl", "2|seeds/ev/a.jsonl", "5|seeds/ev/d.jsonl", "30|seeds/ev/b.jsonl", "31|seeds/ev/b.jsonl"},
				wantState: []string{"seeds/ev/a.jsonl|v1", "seeds/ev/b.jsonl|v2", "seeds/ev/d.jsonl|v1"}},
		}},
		{name: "full refresh reloads every file", steps: []seedStep{first, {
			files: []seedFile{a1, b1}, fullRefresh: true, wantMsg: "INSERT 3 (2 files loaded)", columnsFrom: "files", wantInto: "temporary",
			wantRows: first.wantRows, wantState: first.wantState, wantRead: []string{"a.jsonl", "b.jsonl"},
		}}},
		{name: "a single changed file is loaded whole", steps: []seedStep{
			{files: []seedFile{a1}, wantMsg: "INSERT 2 (1 file loaded)"},
			{files: []seedFile{{a1.rel, jsonLines("7"), "v2"}}, wantMsg: "INSERT 1 (1 file loaded)", columnsFrom: "files",
				wantRows: []string{"7|seeds/ev/a.jsonl"}, wantState: []string{"seeds/ev/a.jsonl|v2"}},
		}},
		{name: "unreadable file keeps the old table", steps: []seedStep{first,
			{files: []seedFile{a1, {b1.rel, "{\"n\": 9}\n{\"n\" 9}\n", "v2"}}, wantErr: "seeds/ev/b.jsonl:2: malformed JSON",
				wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b2}, wantMsg: "DELETE 1, INSERT 2 (1 file changed, 1 file unchanged)"},
		}},
		{
			// The cast fails while rows are written, after the changed
			// file's rows were deleted: the transaction undoes the delete.
			name: "failure after the delete keeps the old table", columnTypes: map[string]string{"n": "integer"},
			steps: []seedStep{first,
				{files: []seedFile{a1, {b1.rel, `{"n": "x", "tag": "t"}` + "\n", "v2"}}, wantErr: `seeds/ev/b.jsonl:1: a value does not fit its column_types type: Failed to cast value to numerical: "x"`,
					wantSent: d.FailedReplace, wantRows: first.wantRows, wantState: first.wantState},
			},
		},
		{name: "new columns ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, extra}, wantColumns: func(d SeedDialect) []string {
				return []string{"n " + d.BigInt, "tag " + d.Text, "_source_file " + d.Text}
			}, wantErr: "new column extra " + d.BigInt + "; load the seed whole with --full-refresh", wantRows: first.wantRows, wantState: first.wantState},
			{files: []seedFile{a1, b1, extra}, fullRefresh: true, wantColumns: func(d SeedDialect) []string {
				return []string{"n " + d.BigInt, "tag " + d.Text, "extra " + d.BigInt, "_source_file " + d.Text}
			}, wantMsg: "INSERT 4 (3 files loaded)"},
		}},
		{name: "changed types ask for a full refresh", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4.5, "tag": "t"}` + "\n", "v1"}},
				wantErr: "column n is " + d.Double + " in the new files, " + d.BigInt + " in the table", wantRows: first.wantRows},
		}},
		{name: "same types spelled differently fit", columnTypes: map[string]string{"at": "timestamp"}, steps: []seedStep{
			{files: []seedFile{{"seeds/ev/a.jsonl", `{"n": 1, "at": "2024-05-28 13:00:00"}` + "\n", "v1"}}},
			{files: []seedFile{{"seeds/ev/a.jsonl", `{"n": 1, "at": "2024-05-28 13:00:00"}` + "\n", "v1"}, {"seeds/ev/b.jsonl", `{"n": 2, "at": "2024-05-28 14:00:00"}` + "\n", "v1"}},
				wantMsg: "INSERT 1 (1 file new, 1 file unchanged)"},
		}},
		{name: "columns the new files lack are null", steps: []seedStep{first,
			{files: []seedFile{a1, b1, {"seeds/ev/c.jsonl", `{"n": 4}` + "\n", "v1"}}, wantMsg: "INSERT 1 (1 file new, 2 files unchanged)", columnsFrom: "table",
				wantRows: append(slices.Clone(first.wantRows), "4|seeds/ev/c.jsonl")},
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
			sent := &Statements{}
			a := o.Open(t, sent.Add)
			for i, st := range tt.steps {
				s := adapter.Seed{Relation: rel("seeds", "ev"), Root: root, Format: "json", ColumnTypes: tt.columnTypes,
					SourceFileColumn: true, Incremental: !st.plain, FullRefresh: st.fullRefresh, Fingerprints: map[string]string{}}
				for _, f := range st.files {
					p := WriteFile(t, root, f.rel, f.content)
					s.Files = append(s.Files, p)
					s.Fingerprints[p] = f.fp
				}
				if st.before != "" {
					exec(t, a, st.before)
				}
				var described []adapter.Column
				if st.columnsFrom != "" || st.wantColumns != nil {
					sent.Reset()
					var err error
					if described, err = a.SeedColumns(ctx, s); err != nil {
						t.Fatalf("step %d: SeedColumns: %v", i+1, err)
					}
					if st.wantColumns != nil {
						if got, want := columnNames(described), st.wantColumns(d); !slices.Equal(got, want) {
							t.Errorf("step %d: SeedColumns %q, want %q", i+1, got, want)
						}
					}
					if st.columnsFrom != "" && d.DescribesFiles != nil && d.DescribesFiles(sent.All()) != (st.columnsFrom == "files") {
						t.Errorf("step %d: SeedColumns read the files: %v, want columns from the %s", i+1, !(st.columnsFrom == "files"), st.columnsFrom)
					}
				}
				sent.Reset()
				res, err := a.LoadSeed(ctx, s)
				switch {
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d: error %v, want %q", i+1, err, st.wantErr)
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d: %v", i+1, err)
				}
				loadSent := sent.All()
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
					wantRows(t, a, "SELECT n, _source_file FROM seeds.ev", st.wantRows...)
				}
				if st.wantState != nil {
					wantRows(t, a, "SELECT file, fingerprint FROM seeds._ingot_seed_files WHERE seed = 'ev'", st.wantState...)
				}
				into, read := d.Loads(loadSent)
				want := map[string]string{"none": "", "table": `"seeds"."ev"`, "temporary": `"seeds"."ev__ingot_tmp"`}[st.wantInto]
				if st.wantInto != "" && into != want {
					t.Errorf("step %d: rows written into %q, want %q (%s); statements:\n%s", i+1, into, want, st.wantInto, strings.Join(loadSent, "\n"))
				}
				for _, w := range st.wantSent {
					if !slices.ContainsFunc(loadSent, func(q string) bool { return strings.HasPrefix(q, w) }) {
						t.Errorf("step %d: no statement %q sent", i+1, w)
					}
				}
				if read != nil {
					for _, f := range st.wantRead {
						if !slices.ContainsFunc(read, func(r string) bool { return strings.Contains(r, f) }) {
							t.Errorf("step %d: %s not read; read %v", i+1, f, read)
						}
					}
					for _, f := range st.wantNotRead {
						if slices.ContainsFunc(read, func(r string) bool { return strings.Contains(r, f) }) {
							t.Errorf("step %d: %s read again; read %v", i+1, f, read)
						}
					}
				}
				noLeftovers(t, o, a, fmt.Sprintf("step %d: ", i+1))
			}
		})
	}

	// Several incremental seeds of one schema at once, twice: they share
	// the record of loaded files, which the first loads race to create.
	t.Run("concurrent", func(t *testing.T) {
		ctx := context.Background()
		root := t.TempDir()
		a := o.Open(t, nil)
		var seeds []adapter.Seed
		for i := range 4 {
			name := fmt.Sprintf("s%d", i)
			s := adapter.Seed{Relation: rel("seeds", name), Root: root, Format: "json", SourceFileColumn: true, Incremental: true, Fingerprints: map[string]string{}}
			for _, f := range []string{"a", "b"} {
				p := WriteFile(t, root, "seeds/"+name+"/"+f+".jsonl", jsonLines("1", "2"))
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
				wg.Go(func() {
					res, err := a.LoadSeed(ctx, s)
					errs[i], msgs[i] = err, res.Message
				})
			}
			wg.Wait()
			for i := range seeds {
				if errs[i] != nil || msgs[i] != want {
					t.Errorf("round %d seed %d: %q, %v; want %q", round+1, i, msgs[i], errs[i], want)
				}
			}
		}
		wantRows(t, a, "SELECT count(*) FROM seeds._ingot_seed_files WHERE fingerprint = 'v2'", "4")
	})
}
