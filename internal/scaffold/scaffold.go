// Package scaffold writes a new, working ingot project (ingot init): a
// DuckDB profile, one bronze → silver → gold chain over a seed, data tests,
// a singular test and a unit test, so `ingot build` succeeds at once.
package scaffold

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed all:project
var files embed.FS

// emptyDirs are folders a project has that start with no file.
var emptyDirs = []string{"macros", "snapshots"}

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Create writes the project NAME into dir/NAME and returns the files
// written, relative to that folder. It refuses a folder that exists and is
// not empty, so it never overwrites anyone's work.
func Create(dir, name string) ([]string, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("project name %q must be letters, digits and underscores, starting with a letter (it names the profile and the database file)", name)
	}
	root := filepath.Join(dir, name)
	if entries, err := os.ReadDir(root); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("folder %s already exists and is not empty; pick another name or remove it", name)
	}
	var written []string
	err := fs.WalkDir(files, "project", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(path, "project/")
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "gitignore" { // a dotfile would not survive go:embed patterns in every tool
			rel = ".gitignore"
		}
		out := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(strings.ReplaceAll(string(b), "{{NAME}}", name)), 0o644); err != nil {
			return err
		}
		written = append(written, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range emptyDirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	return written, nil
}
