package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	written, err := Create(dir, "shop")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", "models/_models.yml", "profiles.yml", "project.yml", "seeds/raw_orders.csv"}
	for _, w := range want {
		found := false
		for _, f := range written {
			found = found || f == w
		}
		if !found {
			t.Errorf("%s not written (got %v)", w, written)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "shop", "profiles.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "path: shop.duckdb") || strings.Contains(string(b), "{{NAME}}") {
		t.Errorf("profiles.yml not filled in:\n%s", b)
	}
	if _, err := Create(dir, "shop"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second Create: %v, want a refusal", err)
	}
	for _, bad := range []string{"", "my-shop", "1shop", "../x"} {
		if _, err := Create(dir, bad); err == nil {
			t.Errorf("Create(%q) succeeded", bad)
		}
	}
}
