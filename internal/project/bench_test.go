package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSynthetic writes a project of n models in folders of 50, one
// property yml per folder, shaped like bench/compile's projects so the
// benchmark tracks the cost that matters there.
func writeSynthetic(tb testing.TB, dir string, n int) {
	tb.Helper()
	write := func(rel, content string) {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("project.yml", "name: synthetic\nvars:\n  as_of: \"2024-05-28\"\nmodels:\n  silver: {materialized: table}\n")
	var src strings.Builder
	src.WriteString("sources:\n  - name: raw\n    schema: raw\n    tables:\n")
	for i := range 20 {
		fmt.Fprintf(&src, "      - name: events_%02d\n", i)
	}
	write("models/silver/_sources.yml", src.String())
	const folderSize = 50
	for start := 0; start < n; start += folderSize {
		folder := fmt.Sprintf("models/silver/f%04d", start/folderSize)
		var b strings.Builder
		b.WriteString("models:\n")
		for i := start; i < min(n, start+folderSize); i++ {
			name := fmt.Sprintf("silver_%06d", i)
			write(folder+"/"+name+".sql", "select 1 as id")
			fmt.Fprintf(&b, `  - name: %s
    description: Synthetic model number %d.
    columns:
      - name: id
        description: Row key.
        tests: [not_null]
      - name: amount
        description: Amount in currency units.
`, name, i)
		}
		write(folder+"/_props.yml", b.String())
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			writeSynthetic(b, dir, n)
			b.ReportAllocs()
			for b.Loop() {
				p, err := Load(context.Background(), Options{Dir: dir})
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Models) != n {
					b.Fatalf("%d models, want %d", len(p.Models), n)
				}
			}
		})
	}
}

// BenchmarkDecodeProperties measures decoding one property file, without
// the file system.
func BenchmarkDecodeProperties(b *testing.B) {
	dir := b.TempDir()
	writeSynthetic(b, dir, 50)
	src, err := os.ReadFile(filepath.Join(dir, "models", "silver", "f0000", "_props.yml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeProps("_props.yml", src); err != nil {
			b.Fatal(err)
		}
	}
}
