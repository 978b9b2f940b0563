// Package seedstate is the one implementation of incremental seed loads,
// shared by the engines: the record of the files a seed's table holds (a
// table in the seed's schema, seedfile.StateTable, one row per seed and
// file with its fingerprint), and the load that, in one transaction,
// deletes the rows of changed and removed files (by _source_file), appends
// those of new and changed ones and updates the record.
//
// An engine supplies small primitives through Session (run a statement,
// read text rows, describe a relation, a transaction with the seed's
// hooks, a whole load, and the rows of some files appended), and its
// dialect and text type through Book. The SQL written here is the
// standard's, which every engine reads: IN lists of string literals,
// INSERT … VALUES and DELETE … WHERE.
package seedstate

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// Session is one connection of an engine, for one load.
type Session interface {
	// Exec runs a statement: inside the open transaction while Tx or
	// LoadWhole runs its function, on the connection otherwise.
	Exec(ctx context.Context, sql string) (int64, error)
	// Pairs runs a query of two text columns and returns its rows.
	Pairs(ctx context.Context, sql string) ([][2]string, error)
	// Describe reports a relation as Adapter.Describe does; for a view
	// that no longer binds it may return KindView with the error.
	Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error)
	// Tx runs fn in one transaction, h's pre-hooks first and post-hooks
	// last; any failure rolls all of it back.
	Tx(ctx context.Context, h adapter.Hooks, fn func() error) error
	// LoadWhole replaces s's table with the rows of all its files, as a
	// plain seed load does (its hooks included), and runs then after the
	// swap: in the same transaction where the engine's DDL is
	// transactional. notes are said after the result.
	LoadWhole(ctx context.Context, s adapter.Seed, then func() error) (rows int64, notes []string, err error)
	// Files opens s's files (some of a seed's) to append their rows.
	Files(ctx context.Context, s adapter.Seed) (Files, error)
}

// Files are some of a seed's files, open for appending.
type Files interface {
	// Columns are the columns the files give, in the engine's types.
	Columns() []adapter.Column
	// AppendTo inserts the files' rows into r, inside the open
	// transaction; an error reading a file names it.
	AppendTo(ctx context.Context, r adapter.Relation) (int64, error)
	Close()
}

// Book keeps an engine's records of loaded files.
type Book struct {
	Dialect adapter.Dialect
	// TextType is the engine's type of the record's columns.
	TextType string
	// NormType, when set, spells a type as the engine's catalog reports
	// it, to compare the files' column types with the table's.
	NormType func(string) string
	// CreateLock, when set, is held while the record table is created:
	// sessions of one engine that race to create it conflict.
	CreateLock sync.Locker
	// Raced, when set, tells an error creating the record table that only
	// says another session created it at the same moment.
	Raced func(error) bool
}

// State is the record table of the seeds of r's schema.
func State(r adapter.Relation) adapter.Relation {
	return adapter.Relation{Database: r.Database, Schema: r.Schema, Name: seedfile.StateTable}
}

// Load loads incremental seed s: it compares the seed's files with those
// recorded at its last load and, in one transaction, deletes the rows of
// changed and removed files, appends those of new and changed files, and
// updates the record. The seed is loaded whole (and recorded) on a full
// refresh, when the table or the record is missing, when the table has no
// _source_file column, and when no file is unchanged.
func (b Book) Load(ctx context.Context, ss Session, s adapter.Seed) (adapter.Result, error) {
	s.SourceFileColumn = true
	state := State(s.Relation)
	if err := b.ensure(ctx, ss, state); err != nil {
		return adapter.Result{}, err
	}
	loaded, err := b.loaded(ctx, ss, s.Relation)
	if err != nil {
		return adapter.Result{}, err
	}
	plan, err := seedfile.Plan(s, loaded)
	if err != nil {
		return adapter.Result{}, err
	}
	kind, cols, err := ss.Describe(ctx, s.Relation)
	if err != nil && kind != adapter.KindView {
		return adapter.Result{}, err
	}
	if seedfile.LoadsWhole(s, kind, cols, loaded, plan) {
		rows, notes, err := ss.LoadWhole(ctx, s, func() error {
			if _, err := ss.Exec(ctx, "DELETE FROM "+b.Dialect.RelationSQL(state)+" WHERE "+b.seedIs(s.Relation)); err != nil {
				return err
			}
			return b.record(ctx, ss, s.Relation, plan.Files)
		})
		if err != nil {
			return adapter.Result{}, err
		}
		return adapter.Result{RowsAffected: rows, Message: withNotes(seedfile.FullMessage(rows, len(plan.Files)), notes)}, nil
	}
	if plan.Nothing() {
		// Nothing to load; the hooks still run, as on every load.
		if len(s.PreHooks)+len(s.PostHooks) > 0 {
			if err := ss.Tx(ctx, s.Hooks, func() error { return nil }); err != nil {
				return adapter.Result{}, err
			}
		}
		return adapter.Result{RowsAffected: 0, Message: plan.Message(0, 0)}, nil
	}

	var files Files
	if len(plan.Load) > 0 {
		sub := s
		sub.Files = plan.LoadPaths()
		if files, err = ss.Files(ctx, sub); err != nil {
			return adapter.Result{}, err
		}
		defer files.Close()
		if err := seedfile.CheckColumns(s.Relation, cols, files.Columns(), b.NormType); err != nil {
			return adapter.Result{}, err
		}
	}
	var inserted, deleted int64
	err = ss.Tx(ctx, s.Hooks, func() error {
		if del := plan.Delete(); len(del) > 0 {
			n, err := ss.Exec(ctx, "DELETE FROM "+b.Dialect.RelationSQL(s.Relation)+" WHERE "+b.Dialect.Quote(seedfile.SourceFileColumn)+" IN ("+b.literals(del)+")")
			if err != nil {
				return err
			}
			deleted = n
			if _, err := ss.Exec(ctx, "DELETE FROM "+b.Dialect.RelationSQL(state)+" WHERE "+b.seedIs(s.Relation)+
				" AND "+b.Dialect.Quote(seedfile.StateColumns[1])+" IN ("+b.literals(del)+")"); err != nil {
				return err
			}
		}
		if files == nil {
			return nil
		}
		n, err := files.AppendTo(ctx, s.Relation)
		if err != nil {
			return err
		}
		inserted = n
		return b.record(ctx, ss, s.Relation, plan.Load)
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: inserted, Message: plan.Message(inserted, deleted)}, nil
}

// Forget drops what an incremental load recorded about seed r, if
// anything: a seed loaded otherwise is loaded whole should it become
// incremental again.
func (b Book) Forget(ctx context.Context, ss Session, r adapter.Relation) error {
	state := State(r)
	kind, _, err := ss.Describe(ctx, state)
	if err != nil || kind != adapter.KindTable {
		return err
	}
	_, err = ss.Exec(ctx, "DELETE FROM "+b.Dialect.RelationSQL(state)+" WHERE "+b.seedIs(r))
	return err
}

// Columns returns the columns of incremental seed s's table when its next
// load appends to it (so its columns stay); ok is false when the load
// would be whole or the table or record cannot be read.
func (b Book) Columns(ctx context.Context, ss Session, s adapter.Seed) (cols []adapter.Column, ok bool) {
	s.SourceFileColumn = true // as Load
	return seedfile.AppendedColumns(s,
		func() (adapter.Kind, []adapter.Column, error) { return ss.Describe(ctx, s.Relation) },
		func() (map[string]string, error) { return b.loaded(ctx, ss, s.Relation) })
}

// ensure creates the record table of state's schema unless it exists.
func (b Book) ensure(ctx context.Context, ss Session, state adapter.Relation) error {
	if b.CreateLock != nil {
		b.CreateLock.Lock()
		defer b.CreateLock.Unlock()
	}
	defs := make([]string, len(seedfile.StateColumns))
	for i, c := range seedfile.StateColumns {
		defs[i] = b.Dialect.Quote(c) + " " + b.TextType + " NOT NULL"
	}
	_, err := ss.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+b.Dialect.RelationSQL(state)+" ("+strings.Join(defs, ", ")+")")
	if err != nil && (b.Raced == nil || !b.Raced(err)) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("creating %s: %w", state, err)
	}
	return nil
}

// loaded reads the recorded fingerprints of seed r's files, keyed by
// relative path.
func (b Book) loaded(ctx context.Context, ss Session, r adapter.Relation) (map[string]string, error) {
	state := State(r)
	rows, err := ss.Pairs(ctx, "SELECT "+b.Dialect.Quote(seedfile.StateColumns[1])+", "+b.Dialect.Quote(seedfile.StateColumns[2])+
		" FROM "+b.Dialect.RelationSQL(state)+" WHERE "+b.seedIs(r))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("reading %s: %w", state, err)
	}
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		out[row[0]] = row[1]
	}
	return out, nil
}

// record adds files to seed r's record.
func (b Book) record(ctx context.Context, ss Session, r adapter.Relation, files []seedfile.File) error {
	if len(files) == 0 {
		return nil
	}
	cols := make([]string, len(seedfile.StateColumns))
	for i, c := range seedfile.StateColumns {
		cols[i] = b.Dialect.Quote(c)
	}
	vals := make([]string, len(files))
	for i, f := range files {
		vals[i] = "(" + b.literals([]string{r.Name, f.Rel, f.Fingerprint}) + ")"
	}
	_, err := ss.Exec(ctx, "INSERT INTO "+b.Dialect.RelationSQL(State(r))+" ("+strings.Join(cols, ", ")+") VALUES "+strings.Join(vals, ", "))
	return err
}

// seedIs is the condition selecting seed r's rows of the record.
func (b Book) seedIs(r adapter.Relation) string {
	return b.Dialect.Quote(seedfile.StateColumns[0]) + " = " + b.Dialect.Literal(r.Name)
}

func (b Book) literals(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = b.Dialect.Literal(v)
	}
	return strings.Join(q, ", ")
}

// withNotes appends an engine's notes (views it had to drop, say) to a
// result message.
func withNotes(head string, notes []string) string {
	if len(notes) == 0 {
		return head
	}
	return head + "; " + strings.Join(notes, "; ")
}
