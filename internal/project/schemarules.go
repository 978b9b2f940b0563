package project

import (
	"os"
	"path/filepath"
	"regexp"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/diag"
)

var schemaFieldRe = regexp.MustCompile(`(?m)^\s*schema\s*:|[{,]\s*schema\s*:`)

// CheckTargetSchema rejects a profile schema the project's schema rules
// would not use: with schema-rules: folders models land in their folder's
// schema, so a dbt user's schema: analytics would be silently ignored.
// profilesDir is where profiles.yml was read ("" = the project root).
func (p *Project) CheckTargetSchema(t adapter.Target, profilesDir string) error {
	if t.Schema == "" || p.SchemaRules == SchemaDBT {
		return nil
	}
	if profilesDir == "" {
		profilesDir = p.Root
	}
	path := filepath.Join(profilesDir, ProfilesFile)
	src, _ := os.ReadFile(path)
	line := 0
	if loc := schemaFieldRe.FindIndex(src); loc != nil {
		line = lineAt(src, loc[1])
	}
	d := diag.At(p.rel(path), src, line, 0, "target %s sets schema: %s, which ingot uses only with schema-rules: dbt in %s (models then land in %s, a custom schema x in %s_x); add that line or remove schema", t.Name, t.Schema, ProjectFile, t.Schema, t.Schema)
	d.Source = "" // the file may hold secrets
	return d
}

func lineAt(src []byte, off int) int {
	n := 1
	for _, b := range src[:off] {
		if b == '\n' {
			n++
		}
	}
	return n
}
