// Package exampletest copies the repository's example project for tests
// and benchmarks that build it somewhere of their own.
package exampletest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Folders are the example's folders ingot reads, besides project.yml.
var Folders = []string{"models", "seeds", "macros", "tests", "snapshots"}

// Copy copies project.yml and Folders of the project at root into dst
// (profiles.yml is the caller's to write). The folders named in skip
// (slash paths relative to root, e.g. "seeds/notifications") are created
// empty.
func Copy(root, dst string, skip ...string) error {
	if err := copyFile(filepath.Join(root, "project.yml"), filepath.Join(dst, "project.yml")); err != nil {
		return err
	}
	for _, name := range Folders {
		base := filepath.Join(root, name)
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == base {
					return filepath.SkipDir
				}
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if d.IsDir() {
				if err := os.MkdirAll(filepath.Join(dst, rel), 0o755); err != nil {
					return err
				}
				if slices.Contains(skip, filepath.ToSlash(rel)) {
					return filepath.SkipDir
				}
				return nil
			}
			return copyFile(p, filepath.Join(dst, rel))
		})
		if err != nil {
			return fmt.Errorf("copying the example's %s: %w", name, err)
		}
	}
	return nil
}

// Temp copies the project at root into a temporary folder of tb's and
// returns the folder.
func Temp(tb testing.TB, root string) string {
	tb.Helper()
	dst := tb.TempDir()
	if err := Copy(root, dst); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
