package project

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzProjectFile: any project.yml content loads or fails with an error,
// never a panic.
func FuzzProjectFile(f *testing.F) {
	f.Add("name: p\nmodels:\n  gold: {materialized: table}\n")
	f.Add("name: p\nvars: {a: [1, 2]}\nseeds:\n  x:\n    y: {combine: true}\n")
	f.Add("models: [1, 2]\n")
	f.Add("name: {a: b}\nmodels:\n  +tags: x\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ProjectFile), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), Options{Dir: dir})
		if err == nil && p == nil {
			t.Fatal("nil project without error")
		}
	})
}
