package project

import (
	"context"
	"testing"
)

// FuzzProjectFile: any project.yml content loads or fails with an error,
// never a panic. The content goes to load directly and the project folder
// stays empty, so no input writes a file.
func FuzzProjectFile(f *testing.F) {
	f.Add("name: p\nmodels:\n  gold: {materialized: table}\n")
	f.Add("name: p\nvars: {a: [1, 2]}\nseeds:\n  x:\n    y: {combine: true}\n")
	f.Add("models: [1, 2]\n")
	f.Add("name: {a: b}\nmodels:\n  +tags: x\n")
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, src string) {
		p, err := load(context.Background(), root, []byte(src), Options{})
		if err == nil && p == nil {
			t.Fatal("nil project without error")
		}
		if err == nil && p.Name == "" {
			t.Fatal("a project without a name loaded")
		}
	})
}
