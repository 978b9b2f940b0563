package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTypeSources(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "models", "bronze", "_sources.yml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: events_00\n      - name: events_01\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := typeSources(dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if n := strings.Count(string(got), "data_type: timestamp"); n != 2 {
		t.Errorf("typed %d tables, want 2:\n%s", n, got)
	}
	if !strings.Contains(string(got), "      - name: events_01\n        columns:\n          - {name: id, data_type: bigint}\n") {
		t.Errorf("columns not under their table:\n%s", got)
	}
	if err := os.WriteFile(path, []byte("sources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := typeSources(dir); err == nil {
		t.Error("a sources file without tables is not an error")
	}
}

func TestSummary(t *testing.T) {
	n, d, err := summary([]byte("note: x\nChecked 1000 models, 0 seeds and 20 sources in 1.25s: 0 problems\n"))
	if err != nil || n != 1000 || d != 1250*time.Millisecond {
		t.Errorf("summary = %d, %s, %v", n, d, err)
	}
	if _, _, err := summary([]byte("Checked 3 models, 0 seeds and 0 sources in 0.10s: 2 problems\n")); err == nil {
		t.Error("a check with problems is not a clean summary")
	}
}
