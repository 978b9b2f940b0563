package seedstate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// fakeSession records what the bookkeeping sends; the engine side (a
// whole load, appending files) is reduced to a statement naming it.
type fakeSession struct {
	sent     []string
	inTx     bool
	txs      int
	recorded [][2]string // what the record table holds
	noState  bool        // the record table does not exist
	table    adapter.Kind
	cols     []adapter.Column
	files    []adapter.Column // columns the new files give
	fail     map[string]error // statement prefix → error
}

func (f *fakeSession) Exec(_ context.Context, sql string) (int64, error) {
	if f.inTx {
		sql = "tx: " + sql
	}
	f.sent = append(f.sent, sql)
	for p, err := range f.fail {
		if strings.HasPrefix(strings.TrimPrefix(sql, "tx: "), p) {
			return 0, err
		}
	}
	return 2, nil
}

func (f *fakeSession) Pairs(_ context.Context, sql string) ([][2]string, error) {
	f.sent = append(f.sent, sql)
	if f.noState {
		return nil, errors.New("no such table")
	}
	return f.recorded, nil
}

func (f *fakeSession) Describe(_ context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	if r.Name == seedfile.StateTable {
		if f.noState {
			return adapter.KindNone, nil, nil
		}
		return adapter.KindTable, nil, nil
	}
	return f.table, f.cols, nil
}

func (f *fakeSession) Tx(_ context.Context, h adapter.Hooks, fn func() error) error {
	f.inTx = true
	f.txs++
	defer func() { f.inTx = false }()
	return fn()
}

func (f *fakeSession) LoadWhole(ctx context.Context, s adapter.Seed, then func() error) (int64, []string, error) {
	return 7, []string{"a note"}, f.Tx(ctx, s.Hooks, func() error {
		f.sent = append(f.sent, "tx: whole load")
		return then()
	})
}

func (f *fakeSession) Files(_ context.Context, s adapter.Seed) (Files, error) {
	return fakeFiles{f, s}, nil
}

type fakeFiles struct {
	f *fakeSession
	s adapter.Seed
}

func (ff fakeFiles) Columns() []adapter.Column { return ff.f.files }

func (ff fakeFiles) AppendTo(context.Context, adapter.Relation) (int64, error) {
	ff.f.sent = append(ff.f.sent, "tx: append "+strings.Join(ff.s.Files, ","))
	return 3, nil
}

func (ff fakeFiles) Close() {}

func TestLoad(t *testing.T) {
	// A dialect of its own: the bookkeeping's names and literals follow it.
	book := Book{Dialect: adapter.Dialect{QuoteChar: "`"}, TextType: "string"}
	seed := func(fps ...string) adapter.Seed {
		s := adapter.Seed{Relation: adapter.Relation{Schema: "raw", Name: "ev"}, Root: "/p", Incremental: true, Fingerprints: map[string]string{}}
		for i, fp := range fps {
			f := "/p/seeds/ev/" + string(rune('a'+i)) + ".csv"
			s.Files = append(s.Files, f)
			s.Fingerprints[f] = fp
		}
		return s
	}
	table := []adapter.Column{{Name: "n", Type: "int"}, {Name: "_source_file", Type: "string"}}
	create := "CREATE TABLE IF NOT EXISTS `raw`.`_ingot_seed_files` (`seed` string NOT NULL, `file` string NOT NULL, `fingerprint` string NOT NULL)"
	read := "SELECT `file`, `fingerprint` FROM `raw`.`_ingot_seed_files` WHERE `seed` = 'ev'"
	tests := []struct {
		name     string
		seed     adapter.Seed
		sess     fakeSession
		wantMsg  string
		wantSent []string
		wantErr  string
	}{
		{
			name: "first load is whole and recorded",
			seed: seed("1", "1"), sess: fakeSession{table: adapter.KindNone},
			wantMsg: "INSERT 7 (2 files loaded); a note",
			wantSent: []string{create, read, "tx: whole load", "tx: DELETE FROM `raw`.`_ingot_seed_files` WHERE `seed` = 'ev'",
				"tx: INSERT INTO `raw`.`_ingot_seed_files` (`seed`, `file`, `fingerprint`) VALUES ('ev', 'seeds/ev/a.csv', '1'), ('ev', 'seeds/ev/b.csv', '1')"},
		},
		{
			name: "a changed file's rows are replaced in one transaction",
			seed: seed("1", "2"),
			sess: fakeSession{table: adapter.KindTable, cols: table, files: table[:1],
				recorded: [][2]string{{"seeds/ev/a.csv", "1"}, {"seeds/ev/b.csv", "1"}}},
			wantMsg: "DELETE 2, INSERT 3 (1 file changed, 1 file unchanged)",
			wantSent: []string{create, read,
				"tx: DELETE FROM `raw`.`ev` WHERE `_source_file` IN ('seeds/ev/b.csv')",
				"tx: DELETE FROM `raw`.`_ingot_seed_files` WHERE `seed` = 'ev' AND `file` IN ('seeds/ev/b.csv')",
				"tx: append /p/seeds/ev/b.csv",
				"tx: INSERT INTO `raw`.`_ingot_seed_files` (`seed`, `file`, `fingerprint`) VALUES ('ev', 'seeds/ev/b.csv', '2')"},
		},
		{
			name:    "nothing changed: no transaction without hooks",
			seed:    seed("1", "1"),
			sess:    fakeSession{table: adapter.KindTable, cols: table, recorded: [][2]string{{"seeds/ev/a.csv", "1"}, {"seeds/ev/b.csv", "1"}}},
			wantMsg: "INSERT 0 (2 files unchanged)", wantSent: []string{create, read},
		},
		{
			name: "new files with a column the table lacks ask for a full refresh",
			seed: seed("1", "1", "1"),
			sess: fakeSession{table: adapter.KindTable, cols: table, files: []adapter.Column{{Name: "extra", Type: "int"}},
				recorded: [][2]string{{"seeds/ev/a.csv", "1"}, {"seeds/ev/b.csv", "1"}}},
			wantErr: "new column extra int; load the seed whole with --full-refresh",
		},
		{
			name: "the record table cannot be created",
			seed: seed("1"), sess: fakeSession{fail: map[string]error{"CREATE TABLE": errors.New("permission denied")}},
			wantErr: "creating raw._ingot_seed_files: permission denied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := tt.sess
			res, err := book.Load(context.Background(), &sess, tt.seed)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", res.Message, tt.wantMsg)
			}
			if !slices.Equal(sess.sent, tt.wantSent) {
				t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(sess.sent, "\n"), strings.Join(tt.wantSent, "\n"))
			}
		})
	}
}

func TestHooksRunWhenNothingChanged(t *testing.T) {
	sess := &fakeSession{table: adapter.KindTable, cols: []adapter.Column{{Name: "_source_file"}}, recorded: [][2]string{{"a.csv", "1"}}}
	s := adapter.Seed{Relation: adapter.Relation{Schema: "raw", Name: "ev"}, Root: "/p", Files: []string{"/p/a.csv"},
		Fingerprints: map[string]string{"/p/a.csv": "1"}, Hooks: adapter.Hooks{PostHooks: []string{"select 1"}}}
	if _, err := (Book{}).Load(context.Background(), sess, s); err != nil {
		t.Fatal(err)
	}
	if sess.txs != 1 {
		t.Errorf("%d transactions, want 1 for the hooks", sess.txs)
	}
}

func TestCreateRaces(t *testing.T) {
	raced := errors.New("already exists")
	var mu sync.Mutex
	book := Book{TextType: "text", CreateLock: &mu, Raced: func(err error) bool { return err == raced }}
	sess := &fakeSession{fail: map[string]error{"CREATE TABLE": raced}, table: adapter.KindNone}
	s := adapter.Seed{Relation: adapter.Relation{Schema: "raw", Name: "ev"}, Root: "/p", Files: []string{"/p/a.csv"}, Fingerprints: map[string]string{"/p/a.csv": "1"}}
	if _, err := book.Load(context.Background(), sess, s); err != nil {
		t.Fatalf("a raced creation failed the load: %v", err)
	}
	if !mu.TryLock() {
		t.Error("the creation lock was left held")
	}
}

func TestForgetAndColumns(t *testing.T) {
	r := adapter.Relation{Schema: "raw", Name: "ev"}
	sess := &fakeSession{noState: true}
	if err := (Book{}).Forget(context.Background(), sess, r); err != nil || len(sess.sent) != 0 {
		t.Errorf("forgetting without a record table: %v, sent %q", err, sess.sent)
	}
	sess.noState = false
	if err := (Book{}).Forget(context.Background(), sess, r); err != nil || !slices.Equal(sess.sent, []string{`DELETE FROM "raw"."_ingot_seed_files" WHERE "seed" = 'ev'`}) {
		t.Errorf("forgetting: %v, sent %q", err, sess.sent)
	}

	cols := []adapter.Column{{Name: "n", Type: "int"}, {Name: "_source_file", Type: "text"}}
	s := adapter.Seed{Relation: r, Root: "/p", Files: []string{"/p/a.csv", "/p/b.csv"}, Fingerprints: map[string]string{"/p/a.csv": "1", "/p/b.csv": "1"}}
	sess = &fakeSession{table: adapter.KindTable, cols: cols, recorded: [][2]string{{"a.csv", "1"}}}
	if got, ok := (Book{}).Columns(context.Background(), sess, s); !ok || !slices.Equal(got, cols) {
		t.Errorf("an appending load's columns: %v, %v", got, ok)
	}
	sess.noState = true
	if _, ok := (Book{}).Columns(context.Background(), sess, s); ok {
		t.Error("columns kept with no record of loaded files")
	}
}
