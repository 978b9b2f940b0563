package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		args      []string
		code      int
		lines     int
		errSubstr string
	}{
		{"stdout", []string{"-n", "5"}, 0, 5, "5 lines"},
		{"file", []string{"-n", "7", "-o", filepath.Join(dir, "e.jsonl")}, 0, 0, "next_seq=7"},
		{"follow-up", []string{"-n", "3", "-first-seq", "7", "-per-day", "7", "-late", "0.5"}, 0, 3, "3 lines"},
		{"follow-up needs per-day", []string{"-n", "3", "-first-seq", "7"}, 2, 0, "-per-day"},
		{"bad flag", []string{"-nope"}, 2, 0, "flag provided but not defined"},
		{"extra argument", []string{"x"}, 2, 0, "unexpected arguments"},
		{"bad config", []string{"-n", "3", "-dup", "1.5"}, 1, 0, "DuplicateRate"},
		{"unwritable", []string{"-n", "3", "-o", filepath.Join(dir, "missing", "e.jsonl")}, 1, 0, "gen:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errb.String())
			}
			if got := strings.Count(out.String(), "\n"); got != tt.lines {
				t.Errorf("%d lines on stdout, want %d", got, tt.lines)
			}
			if !strings.Contains(errb.String(), tt.errSubstr) {
				t.Errorf("stderr %q does not mention %q", errb.String(), tt.errSubstr)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(dir, "e.jsonl"))
	if err != nil || strings.Count(string(b), "\n") != 7 {
		t.Fatalf("e.jsonl: %v, %d lines", err, strings.Count(string(b), "\n"))
	}
}
