package cli_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) {
	testscript.Main(pgMain{m}, map[string]func(){
		"ingot":    func() { os.Exit(cli.Main(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
		"holdfile": holdFile,
	})
}

// pgMain runs the tests with pgtest's shared PostgreSQL server available
// (started on first use, stopped when they are done).
type pgMain struct{ m *testing.M }

func (p pgMain) Run() int { return pgtest.Run(p.m.Run) }

// TestScript runs the end-to-end scripts in testdata/script: each is a tiny
// project plus the ingot commands run on it and their expected output.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"waitfile": cmdWaitFile,
			"mkxlsx":   cmdMkxlsx,
		},
	})
}

// cmdExitCode runs a program like exec and checks its exact exit code,
// since exec only tells zero from non-zero:
//
//	exitcode 2 ingot run --no-such-flag
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// cmdMkxlsx writes a workbook with one sheet per NAME=FILE argument, each
// filled from a CSV file of the script (scripts cannot hold binary files);
// missing folders are created.
// Numbers become numeric cells, true/false booleans, YYYY-MM-DD dates and
// empty fields are left blank; anything else is text.
//
//	mkxlsx seeds/prices.xlsx Prices=prices.csv Other=other.csv
func cmdMkxlsx(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkxlsx out.xlsx SHEET=file.csv...")
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, spec := range args[1:] {
		name, file, ok := strings.Cut(spec, "=")
		if !ok {
			ts.Fatalf("mkxlsx: %q is not SHEET=file.csv", spec)
		}
		if i == 0 {
			ts.Check(f.SetSheetName("Sheet1", name))
		} else if _, err := f.NewSheet(name); err != nil {
			ts.Fatalf("mkxlsx: %v", err)
		}
		recs, err := csv.NewReader(strings.NewReader(ts.ReadFile(file))).ReadAll()
		ts.Check(err)
		for r, rec := range recs {
			for c, v := range rec {
				if v == "" {
					continue
				}
				cell, err := excelize.CoordinatesToCellName(c+1, r+1)
				ts.Check(err)
				ts.Check(f.SetCellValue(name, cell, cellValue(v)))
			}
		}
	}
	out := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
	ts.Check(f.SaveAs(out))
}

func cellValue(v string) any {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return n
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	if isoDate.MatchString(v) {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t
		}
	}
	return v
}

// holdFile is a program that keeps a DuckDB file open, as a DuckDB shell
// or BI tool would, then writes MARKER and sleeps:
//
//	exec holdfile x.duckdb held 2s &
func holdFile() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: holdfile FILE MARKER DURATION")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db, err := sql.Open("duckdb", os.Args[1])
	if err == nil {
		err = db.Ping()
	}
	if err == nil {
		err = os.WriteFile(os.Args[2], nil, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(d)
	db.Close()
}

// cmdWaitFile waits (up to a minute) until a file exists, to sync with a
// background program:
//
//	waitfile held
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
	}
	ts.Fatalf("waitfile: %s did not appear", args[0])
}
