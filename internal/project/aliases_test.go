package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aliasBomb is a "billion laughs" YAML mapping under key: ten levels of
// ten aliases each, 10^10 values from a few hundred bytes.
func aliasBomb(key string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n", key)
	for i := 1; i < 10; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
	return b.String()
}

func TestAliasBombRefused(t *testing.T) {
	dir := t.TempDir()
	src := "name: p\n" + aliasBomb("vars")
	if err := os.WriteFile(filepath.Join(dir, ProjectFile), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "alias bomb") || !strings.Contains(err.Error(), "project.yml:") {
		t.Fatalf("got %v, want a located alias-bomb error", err)
	}
	t.Log(err)
}

func TestAliasReuseAllowed(t *testing.T) {
	src := "a: &a {x: 1, y: [1, 2, 3]}\nb: *a\nc: {<<: *a, z: 2}\nd: [*a, *a, *a]\n"
	if err := CheckAliases("f.yml", []byte(src)); err != nil {
		t.Fatal(err)
	}
}

func FuzzCheckAliases(f *testing.F) {
	f.Add(aliasBomb("k"))
	f.Add("a: &a [1]\nb: *a\n")
	f.Add("a: &a\n  b: *a\n")
	f.Add("- &x !!str y\n- *x\n- *nope\n")
	f.Fuzz(func(t *testing.T, src string) {
		_ = CheckAliases("f.yml", []byte(src))
	})
}

// FuzzVars: any --vars text decodes to a mapping or fails with an error,
// never a panic.
func FuzzVars(f *testing.F) {
	for _, s := range []string{"{as_of: 2024-05-28}", "a: 1\nb: [1, 2]", "[1, 2]", "{a: &x 1, b: *x}", "!!binary aGk=", "{", "a: {b: {c: ~}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := DecodeVars(s); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("DecodeVars(%q): a message of several lines: %v", s, err)
		}
	})
}
