// Package project loads an ingot project from disk: project.yml,
// profiles.yml, property files, and the models, seeds, macros and singular
// tests they describe. It never touches a database.
package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ingot-dev/ingot/internal/diag"
)

// Schema rules (project.yml schema-rules).
const (
	SchemaFolders = "folders"
	SchemaDBT     = "dbt"
)

// ProjectFile is the name of the project configuration file.
const ProjectFile = "project.yml"

// Options say where the project is and what the command line overrides.
type Options struct {
	Dir  string         // project directory ("" = current directory)
	Vars map[string]any // --vars, overriding project vars
}

// Project is a loaded project: configuration plus discovered files.
type Project struct {
	Root       string // absolute project directory
	Name       string
	Profile    string
	ModelPaths []string
	SeedPaths  []string
	MacroPaths []string
	TestPaths  []string
	// SnapshotPaths hold snapshots/*.sql (and yml-configured snapshots).
	SnapshotPaths []string
	TargetPath    string // relative to Root
	// CleanTargets are the folders `ingot clean` removes, relative to Root
	// (default: TargetPath); checked to lie inside the project and to hold
	// no model, seed, macro or test path.
	CleanTargets []string
	Vars         map[string]any
	// SchemaRules says where models and seeds land: SchemaFolders (the
	// first folder under models/, seeds in "seeds") or SchemaDBT (the
	// profile's schema, a custom schema as <target>_<custom>, or what a
	// generate_schema_name macro says).
	SchemaRules string

	Models    []*Model
	Seeds     []*Seed
	Macros    []*File
	Tests     []*File // singular data tests
	Sources   []*Source
	UnitTests []*UnitTest
	Exposures []*Exposure
	// Docs are the {% docs name %} blocks of .md files under the model
	// paths, which descriptions use as {{ doc("name") }}.
	Docs      map[string]string
	Snapshots []*Model // snapshots, in schema "snapshots" unless configured

	listed map[string][]string // folder → its files, see listFiles
}

// File is a project file read into memory.
type File struct {
	Path string // relative to Root, forward slashes
	Abs  string
	Src  []byte
}

// Model is one *.sql file under a model path.
type Model struct {
	File
	Name   string
	Schema string // from the first folder; config "schema" may override it later
	Dir    string // folder under the model path, forward slashes ("" at top)
	Config Config // folder config merged with property config
	Props  *Properties
}

// Seed is one data file, or one combined folder, under a seed path.
type Seed struct {
	Name     string
	Schema   string
	Path     string   // relative file or folder path
	Files    []string // absolute paths of the data files
	Format   string   // csv, json, parquet, xlsx
	Combined bool
	Config   Config
	Props    *Properties
}

// Properties are what a property yml says about a model, seed or source table.
type Properties struct {
	File        string // the yml file that declared them
	Line        int
	Description string
	Columns     []Column
	Tests       []TestSpec
	Meta        map[string]any
}

// Column documents one column and carries its tests.
type Column struct {
	Name        string
	Description string
	DataType    string
}

// TestSpec is one generic test entry as written in yml: a name such as
// "not_null" or a mapping {name: {args...}}. Column is set for column tests.
type TestSpec struct {
	Value  any
	Column string
	File   string
	Line   int
	Col    int
}

// Source is one declared source table.
type Source struct {
	SourceName string
	Name       string // table name as referenced in source "s" "t"
	Schema     string
	Identifier string // the table's name in the warehouse
	Props      *Properties
	// Freshness is the freshness block as written (the table's, else its
	// source's); ingot shows it but has no source freshness command.
	Freshness     any
	LoadedAtField string
}

// Exposure is a downstream use of models (a dashboard, say), declared in a
// property file's exposures: for documentation and lineage.
type Exposure struct {
	Name, Label, Type, Maturity, URL, Description string
	DependsOn                                     []string // ref("x") or source("s", "t") as written
	Owner                                         map[string]any
	Tags                                          []string
	File                                          string
	Line                                          int
}

// UnitTest is one unit_tests entry, interpreted by the datatest package.
type UnitTest struct {
	Name        string
	Model       string
	Description string
	Given       []UnitGiven
	Expect      UnitRows
	Overrides   UnitOverrides
	Tags        []string
	File        string
	Line        int
}

// UnitGiven is one input fixture of a unit test.
type UnitGiven struct {
	Input  string // ref("x"), source("s","t") or a bare name
	Format string // dict (default), csv or sql
	Rows   any    // list of mappings, csv text, or sql text
	Line   int
}

// UnitRows are the expected rows of a unit test.
type UnitRows struct {
	Format  string
	Rows    any
	Ordered bool
}

// UnitOverrides override vars, is_incremental and this for a unit test.
type UnitOverrides struct {
	Vars   map[string]any
	Macros map[string]any
	// IsIncremental renders the model with is_incremental true; This gives
	// the rows of the existing table in that case.
	IsIncremental bool
	This          any
}

type projectFileYAML struct {
	Name          string         `yaml:"name"`
	Version       any            `yaml:"version"`
	ConfigVersion any            `yaml:"config-version"`
	Profile       string         `yaml:"profile"`
	ModelPaths    []string       `yaml:"model-paths"`
	SeedPaths     []string       `yaml:"seed-paths"`
	MacroPaths    []string       `yaml:"macro-paths"`
	TestPaths     []string       `yaml:"test-paths"`
	SnapshotPaths []string       `yaml:"snapshot-paths"`
	TargetPath    string         `yaml:"target-path"`
	CleanTargets  []string       `yaml:"clean-targets"`
	Vars          map[string]any `yaml:"vars"`
	Models        any            `yaml:"models"`
	Seeds         any            `yaml:"seeds"`
	SchemaRules   string         `yaml:"schema-rules"`
	Snapshots     any            `yaml:"snapshots"`
}

var projectKeys = []string{"name", "version", "config-version", "profile", "model-paths", "seed-paths", "macro-paths", "test-paths", "target-path", "clean-targets", "vars", "models", "seeds", "schema-rules", "snapshot-paths", "snapshots"}

// FindRoot returns dir, or the nearest parent holding project.yml.
func FindRoot(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ProjectFile)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("no %s found in %s or any parent directory; run ingot inside a project or pass --project-dir", ProjectFile, abs)
}

// Load reads the project at opts.Dir. All problems found are returned
// together as a diag.List.
func Load(ctx context.Context, opts Options) (*Project, error) {
	root, err := FindRoot(opts.Dir)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(filepath.Join(root, ProjectFile))
	if err != nil {
		return nil, err
	}
	return load(ctx, root, src, opts)
}

// load is Load with project.yml's content already read, so that fuzzing
// feeds it directly instead of writing a file per input.
func load(ctx context.Context, root string, src []byte, opts Options) (*Project, error) {
	var pf projectFileYAML
	var errs diag.List
	if err := decodeProjectFile(src, &pf); err != nil {
		if len(diag.Flatten(err)) == 1 {
			return nil, err
		}
		errs.Add(err) // unknown keys: go on to find the other problems
	}
	if pf.Name == "" {
		errs.Add(diag.At(ProjectFile, src, 1, 1, "missing required key \"name\""))
	}
	p := &Project{
		Root:          root,
		Name:          pf.Name,
		Profile:       pf.Profile,
		ModelPaths:    orDefault(pf.ModelPaths, "models"),
		SeedPaths:     orDefault(pf.SeedPaths, "seeds"),
		MacroPaths:    orDefault(pf.MacroPaths, "macros"),
		TestPaths:     orDefault(pf.TestPaths, "tests"),
		SnapshotPaths: orDefault(pf.SnapshotPaths, "snapshots"),
		TargetPath:    pf.TargetPath,
		Vars:          map[string]any{},
	}
	if p.Profile == "" {
		p.Profile = "default"
	}
	if p.TargetPath == "" {
		p.TargetPath = "target"
	}
	switch p.SchemaRules = pf.SchemaRules; p.SchemaRules {
	case "":
		p.SchemaRules = SchemaFolders
	case SchemaFolders, SchemaDBT:
	default:
		errs.Add(diag.At(ProjectFile, src, keyLine(src, "schema-rules"), 1, "schema-rules must be %s or %s, not %q", SchemaFolders, SchemaDBT, pf.SchemaRules))
	}
	p.CleanTargets = orDefault(pf.CleanTargets, p.TargetPath)
	for _, ct := range p.CleanTargets {
		if msg := p.checkCleanTarget(ct); msg != "" {
			line := keyLine(src, "clean-targets")
			errs.Add(diag.At(ProjectFile, src, line, 1, "clean-targets: %q %s", ct, msg))
		}
	}
	for k, v := range pf.Vars {
		p.Vars[k] = v
	}
	for k, v := range opts.Vars {
		p.Vars[k] = v
	}
	modelCfg, err := parseFolderConfig(ProjectFile, src, "models", modelConfigKeys)
	errs.Add(err)
	seedCfg, err := parseFolderConfig(ProjectFile, src, "seeds", seedConfigKeys)
	errs.Add(err)
	modelCfg.unnest(p.Name, p.dirIn(p.ModelPaths))
	seedCfg.unnest(p.Name, p.dirIn(p.SeedPaths))
	errs.Add(modelCfg.checkFolders(src, "models", p.Name, p.dirIn(p.ModelPaths), p.fileIn(p.ModelPaths)))
	errs.Add(seedCfg.checkFolders(src, "seeds", p.Name, p.dirIn(p.SeedPaths), p.fileIn(p.SeedPaths)))
	snapCfg, err := parseFolderConfig(ProjectFile, src, "snapshots", modelConfigKeys)
	errs.Add(err)
	snapCfg.unnest(p.Name, p.dirIn(p.SnapshotPaths))

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs.Add(p.discoverModels(modelCfg))
	errs.Add(p.discoverSeeds(seedCfg))
	errs.Add(p.discoverSnapshots(snapCfg))
	var err2 error
	p.Macros, err2 = p.readSQLFiles(p.MacroPaths)
	errs.Add(err2)
	p.Tests, err2 = p.readSQLFiles(p.TestPaths)
	errs.Add(err2)
	errs.Add(p.loadDocs())
	errs.Add(p.loadProperties())
	errs.Add(p.renderDocs())
	if err := errs.Err(); err != nil {
		return p, err
	}
	return p, nil
}

// checkCleanTarget says what is wrong with clean target ct ("" if nothing):
// clean must never delete the project, anything outside it, or sources.
func (p *Project) checkCleanTarget(ct string) string {
	if filepath.IsAbs(ct) || strings.TrimSpace(ct) == "" {
		return "must be a folder inside the project, relative to project.yml"
	}
	c := filepath.Clean(filepath.FromSlash(ct))
	if c == "." || c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) {
		return "must be a folder inside the project, not the project or outside it"
	}
	for _, group := range [][]string{p.ModelPaths, p.SeedPaths, p.MacroPaths, p.TestPaths, p.SnapshotPaths} {
		for _, sp := range group {
			s := filepath.Clean(filepath.FromSlash(sp))
			if s == c || strings.HasPrefix(s, c+string(filepath.Separator)) {
				return fmt.Sprintf("holds the source path %q; ingot clean would delete it", sp)
			}
		}
	}
	return ""
}

// keyLine is the 1-based line of a top-level key in src (1 if absent).
func keyLine(src []byte, key string) int {
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, key+":") {
			return i + 1
		}
	}
	return 1
}

func orDefault(v []string, def string) []string {
	if len(v) == 0 {
		return []string{def}
	}
	return v
}

func (p *Project) rel(abs string) string {
	r, err := filepath.Rel(p.Root, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(r)
}

// walkFiles lists regular files under the project-relative dirs, sorted.
func (p *Project) walkFiles(dirs []string, keep func(name string) bool) ([]string, error) {
	var out []string
	for _, d := range dirs {
		all, err := p.listFiles(d)
		if err != nil {
			return nil, err
		}
		for _, path := range all {
			if keep(filepath.Base(path)) {
				out = append(out, path)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// listFiles lists the regular files under the project-relative dir,
// skipping hidden ones and node_modules. Loading looks in the model
// folders for SQL, YAML and Markdown files: each folder is walked once.
func (p *Project) listFiles(d string) ([]string, error) {
	if all, ok := p.listed[d]; ok {
		return all, nil
	}
	var all []string
	base := filepath.Join(p.Root, filepath.FromSlash(d))
	err := filepath.WalkDir(base, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == base {
				return filepath.SkipDir
			}
			return err
		}
		name := de.Name()
		if de.IsDir() {
			if path != base && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(name, ".") {
			all = append(all, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	if p.listed == nil {
		p.listed = map[string][]string{}
	}
	p.listed[d] = all
	return all, nil
}

func (p *Project) readSQLFiles(dirs []string) ([]*File, error) {
	paths, err := p.walkFiles(dirs, func(n string) bool { return strings.HasSuffix(n, ".sql") })
	if err != nil {
		return nil, err
	}
	// Reading in parallel hides per-file latency in projects of thousands
	// of models.
	files := make([]*File, len(paths))
	var g errgroup.Group
	g.SetLimit(8)
	for i, path := range paths {
		g.Go(func() error {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[i] = &File{Path: p.rel(path), Abs: path, Src: src}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return files, nil
}

func (p *Project) discoverModels(cfg *folderConfig) error {
	return p.discoverSQL(p.ModelPaths, cfg, func(f *File, relDir string, c Config) {
		schema := "main"
		if relDir != "" {
			schema = strings.SplitN(relDir, "/", 2)[0]
		}
		p.Models = append(p.Models, &Model{
			File:   *f,
			Name:   strings.TrimSuffix(filepath.Base(f.Path), ".sql"),
			Schema: schema,
			Dir:    relDir,
			Config: c,
		})
	})
}

// discoverSQL calls add for each enabled *.sql file under paths, with its
// folder under the path ("" at the top) and that folder's config.
func (p *Project) discoverSQL(paths []string, cfg *folderConfig, add func(f *File, relDir string, c Config)) error {
	for _, mp := range paths {
		base := filepath.Join(p.Root, filepath.FromSlash(mp))
		files, err := p.readSQLFiles([]string{mp})
		if err != nil {
			return err
		}
		for _, f := range files {
			relDir, _ := filepath.Rel(base, filepath.Dir(f.Abs))
			relDir = filepath.ToSlash(relDir)
			if relDir == "." {
				relDir = ""
			}
			if c := cfg.lookup(relDir); c.Enabled() {
				add(f, relDir, c)
			}
		}
	}
	return nil
}

// SeedFormats are the seed file extensions ingot loads.
var seedFormats = map[string]string{".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json", ".parquet": "parquet", ".xlsx": "xlsx"}

func (p *Project) discoverSeeds(cfg *folderConfig) error {
	var errs diag.List
	for _, sp := range p.SeedPaths {
		base := filepath.Join(p.Root, filepath.FromSlash(sp))
		paths, err := p.walkFiles([]string{sp}, func(n string) bool {
			_, ok := seedFormats[strings.ToLower(filepath.Ext(n))]
			return ok
		})
		if err != nil {
			return err
		}
		combined := map[string]*Seed{}
		for _, path := range paths {
			relDir, _ := filepath.Rel(base, filepath.Dir(path))
			relDir = filepath.ToSlash(relDir)
			if relDir == "." {
				relDir = ""
			}
			c := cfg.lookup(relDir)
			if !c.Enabled() {
				continue
			}
			format := seedFormats[strings.ToLower(filepath.Ext(path))]
			schema := c.String("schema")
			if schema == "" {
				schema = "seeds"
			}
			if c.Bool("combine", false) && relDir != "" {
				dirAbs := filepath.Dir(path)
				s, ok := combined[dirAbs]
				if !ok {
					s = &Seed{Name: filepath.Base(dirAbs), Schema: schema, Path: p.rel(dirAbs), Format: format, Combined: true, Config: c}
					combined[dirAbs] = s
					p.Seeds = append(p.Seeds, s)
				}
				if s.Format != format {
					errs.Add(&diag.Error{File: p.rel(path), Msg: fmt.Sprintf("combined seed folder %s mixes %s and %s files; keep one format per folder", s.Path, s.Format, format)})
					continue
				}
				s.Files = append(s.Files, path)
				continue
			}
			stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			p.Seeds = append(p.Seeds, &Seed{Name: stem, Schema: schema, Path: p.rel(path), Files: []string{path}, Format: format, Config: c})
		}
	}
	return errs.Err()
}
