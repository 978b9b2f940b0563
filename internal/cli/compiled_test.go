package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteIfChanged checks compile's file writing: folders are created
// once, unchanged files keep their modification time, changed ones are
// rewritten, with or without a dirCache.
func TestWriteIfChanged(t *testing.T) {
	for _, cached := range []bool{true, false} {
		name := "without cache"
		if cached {
			name = "with cache"
		}
		t.Run(name, func(t *testing.T) {
			newDirs := func() *dirCache {
				if !cached {
					return nil
				}
				return &dirCache{made: map[string]bool{}}
			}
			root := t.TempDir()
			a := filepath.Join(root, "compiled", "silver", "a.sql")
			b := filepath.Join(root, "compiled", "silver", "b.sql")
			dirs := newDirs()
			for path, sql := range map[string]string{a: "select 1", b: "select 2"} {
				if err := writeIfChanged(dirs, path, sql); err != nil {
					t.Fatal(err)
				}
			}
			if cached && !dirs.made[filepath.Dir(a)] {
				t.Errorf("the folder was not recorded as created")
			}
			old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			for _, p := range []string{a, b} {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
			// A later command: the folder exists, so files are compared.
			dirs = newDirs()
			if err := writeIfChanged(dirs, a, "select 1"); err != nil {
				t.Fatal(err)
			}
			if err := writeIfChanged(dirs, b, "select 22"); err != nil {
				t.Fatal(err)
			}
			if cached && dirs.made[filepath.Dir(a)] {
				t.Errorf("an existing folder was recorded as created")
			}
			for _, tt := range []struct {
				path, want string
				touched    bool
			}{{a, "select 1", false}, {b, "select 22", true}} {
				got, err := os.ReadFile(tt.path)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Errorf("%s holds %q, want %q", filepath.Base(tt.path), got, tt.want)
				}
				st, err := os.Stat(tt.path)
				if err != nil {
					t.Fatal(err)
				}
				if touched := !st.ModTime().Equal(old); touched != tt.touched {
					t.Errorf("%s rewritten = %v, want %v", filepath.Base(tt.path), touched, tt.touched)
				}
			}
		})
	}
}
