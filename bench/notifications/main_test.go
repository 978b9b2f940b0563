package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-increment", "0"}, {"-runs", "0"}, {"extra"}, {"-nope"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("run %q: exit %d, want 2", args, code)
		}
	}
}

func TestRunNeedsAProject(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-project", t.TempDir(), "-n", "10"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "project.yml") {
		t.Fatalf("exit %d, stderr %q; want 1 and a word about project.yml", code, errb.String())
	}
}

func TestCopyProjectLeavesNotificationsEmpty(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	files := map[string]string{
		"project.yml":                      "name: x\n",
		"profiles.yml":                     "default: {}\n",
		"models/gold/a.sql":                "select 1",
		"macros/m.sql":                     "",
		"seeds/sales.csv":                  "id\n1\n",
		"seeds/notifications/old.jsonl":    "{}\n",
		"seeds/quarantine/actions/x.csv":   "a\n",
		"target/run/gold/a.sql":            "stale",
		"bench/notifications/whatever.txt": "no",
	}
	for p, c := range files {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyProject(src, dst); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		if !info.IsDir() || rel == filepath.Join("seeds", "notifications") {
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{"macros/m.sql", "models/gold/a.sql", "profiles.yml", "project.yml",
		"seeds/notifications", "seeds/quarantine/actions/x.csv", "seeds/sales.csv"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("copied %v\nwant   %v", got, want)
	}
}

func TestMedianPair(t *testing.T) {
	s := time.Second
	ps := []pair{
		{result{wall: 1 * s}, result{wall: 9 * s}},
		{result{wall: 2 * s}, result{wall: 3 * s}},
		{result{wall: 3 * s}, result{wall: 5 * s}},
	}
	if got := medianPair(ps); got.full.wall != 3*s {
		t.Errorf("medianPair picked the pair with full %v, want the one whose incremental time is the median (full 3s)", got.full.wall)
	}
	if got := medianPair(ps[:2]); got.full.wall != 2*s {
		t.Errorf("medianPair of two picked full %v, want the lower middle (full 2s)", got.full.wall)
	}
}
