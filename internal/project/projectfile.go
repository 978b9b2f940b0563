package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ingot-dev/ingot/internal/diag"
)

// decodeProjectFile decodes project.yml reporting every unknown top-level
// key at once (a strict decode stops at the first), then the rest.
func decodeProjectFile(src []byte, pf *projectFileYAML) error {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return yamlError(ProjectFile, src, err, projectKeys)
	}
	var errs diag.List
	if len(f.Docs) > 0 {
		if root, ok := f.Docs[0].Body.(*ast.MappingNode); ok {
			for _, kv := range root.Values {
				k := kv.Key.String()
				known := false
				for _, pk := range projectKeys {
					known = known || pk == k
				}
				if !known {
					pos := kv.Key.GetToken().Position
					errs.Add(diag.At(ProjectFile, src, pos.Line, pos.Column, "%s", unknownKeyMsg(k, projectKeys)))
				}
			}
		}
	}
	if len(errs) == 0 {
		return decodeStrict(ProjectFile, src, pf, projectKeys)
	}
	if err := yaml.Unmarshal(src, pf); err != nil {
		errs.Add(yamlError(ProjectFile, src, err, projectKeys))
	}
	return errs.Err()
}

// unnest accepts dbt's spelling of folder config, where the folders sit
// under the project's name (models: {shop: {staging: {...}}}): that level
// is the root unless a folder of that name exists.
func (f *folderConfig) unnest(name string, isDir func(string) bool) {
	if f == nil {
		return
	}
	sub, ok := f.folders[name]
	if !ok || isDir(name) {
		return
	}
	delete(f.folders, name)
	f.config = f.config.Merge(sub.config)
	for k, v := range sub.folders {
		f.folders[k] = v
	}
}

// checkFolders reports folder config naming a folder that does not exist:
// its config would silently apply to nothing.
func (f *folderConfig) checkFolders(src []byte, key, projectName string, isDir, isFile func(string) bool) error {
	var errs diag.List
	var walk func(fc *folderConfig, prefix string)
	walk = func(fc *folderConfig, prefix string) {
		for _, name := range sortedKeys(fc.folders) {
			sub := fc.folders[name]
			dir := prefix + name
			if !isDir(dir) {
				msg := fmt.Sprintf("%s: there is no folder %s/ in %s, so this config applies to nothing", key, dir, key)
				if isFile(dir) {
					msg = fmt.Sprintf("%s: %s is a file, not a folder: project.yml configures folders; give one %s its config in a property file (%s: [{name: %s, config: {…}}])", key, dir, strings.TrimSuffix(key, "s"), key, name)
				} else if prefix == "" {
					msg += fmt.Sprintf("; dbt nests folders under the project name, which ingot accepts too (%s: {%s: {…}})", key, projectName)
				}
				errs.Add(diag.At(ProjectFile, src, sub.line, sub.col, "%s", msg))
				continue
			}
			walk(sub, dir+"/")
		}
	}
	if f != nil {
		walk(f, "")
	}
	return errs.Err()
}

// fileIn reports whether rel plus a known extension is a file under one
// of the project-relative roots (a model or seed named in folder config).
func (p *Project) fileIn(roots []string) func(string) bool {
	return func(rel string) bool {
		for _, r := range roots {
			for _, ext := range []string{".sql", ".csv", ".json", ".jsonl", ".ndjson", ".parquet", ".xlsx"} {
				if st, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(r), filepath.FromSlash(rel)+ext)); err == nil && !st.IsDir() {
					return true
				}
			}
		}
		return false
	}
}

// dirIn reports whether rel (slash separated) is a folder under one of
// the project-relative roots.
func (p *Project) dirIn(roots []string) func(string) bool {
	return func(rel string) bool {
		for _, r := range roots {
			st, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(r), filepath.FromSlash(strings.Trim(rel, "/"))))
			if err == nil && st.IsDir() {
				return true
			}
		}
		return false
	}
}
