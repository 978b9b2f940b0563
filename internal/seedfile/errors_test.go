package seedfile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestErrorPassesThrough(t *testing.T) {
	s := adapter.Seed{Root: "/p", Files: []string{"/p/seeds/a.csv"}, Format: "csv"}
	ctx := context.Background()
	if Error(ctx, s, nil) != nil {
		t.Error("nil error became non-nil")
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, errors.Join(context.Canceled, errors.New("INTERRUPT Error: Interrupted!"))} {
		if got := Error(ctx, s, err); got != err {
			t.Errorf("Error(%v) = %v, want it unchanged", err, got)
		}
	}
	re := &ReadError{File: "seeds/a.csv", Msg: "x"}
	if got := Error(ctx, s, re); got != re {
		t.Errorf("ReadError rewrapped: %v", got)
	}
}

func FuzzError(f *testing.F) {
	for _, m := range []string{
		"Invalid Input Error: CSV Error on Line: 22\nOriginal Line: 21,x\nExpected Number of Columns: 3 Found: 2\nPossible fixes:\n\n  file = /p/seeds/a.csv\n  delimiter = ,\n",
		"Conversion Error: CSV Error on Line: 2\nOriginal Line: 1,a\nError when converting column \"name\". Could not convert string \"a\" to 'INTEGER'\n\n  file = /p/seeds/a.csv\n",
		"Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 2,\"b\n3,c\n\nValue with unterminated quote found.\n",
		"Invalid Input Error: Malformed JSON in file \"/p/seeds/a.json\", at byte 12 in record/value 3: unexpected character. \n\nLINE 1: x",
		"Invalid Input Error: Malformed JSON in file \"/p/seeds/a.json\", at byte 25 in line 3: unexpected character.",
		"IO Error: No files found that match the pattern \"/p/seeds/a.csv\"",
		"Invalid Input Error: No magic bytes found at end of file '/p/seeds/a.parquet'",
		"Binder Error: COLUMN_TYPES error: Columns with names: \"nope\" do not exist in the CSV File",
		"Binder Error: Column \"nope\" in REPLACE list not found in FROM clause",
		"Invalid Input Error: Error when sniffing file \"/nonexistent/a.csv\".\nIt was not possible",
		"CSV Error on Line: 99999999999999999999999\n",
		"",
	} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		s := adapter.Seed{Root: "/p", Files: []string{"/p/seeds/a.csv", "/p/seeds/b.csv"}, Format: "csv"}
		err := Error(context.Background(), s, errors.New(msg))
		var re *ReadError
		if !errors.As(err, &re) {
			t.Fatalf("Error(%q) = %v (%T), want a *ReadError", msg, err, err)
		}
		if strings.Contains(re.File+re.Msg, "\n") {
			t.Fatalf("Error(%q) spans lines: %q", msg, err)
		}
	})
}
