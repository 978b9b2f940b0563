package project

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// fastAgrees decodes src from fastParse's tree and from go-yaml's and
// reports a difference as a test error; accepted is false when fastParse
// gives up (decodeProps then only uses go-yaml).
func fastAgrees(t *testing.T, name string, src []byte) (accepted bool) {
	t.Helper()
	body, ok := fastParse(src)
	if !ok {
		t.Logf("REFUSED %s", name)
		return false
	}
	fast, err := decodeFast("p.yml", src, body)
	if err != nil {
		return true // decodeProps reports go-yaml's findings instead
	}
	slow, err := decodePropsYAML("p.yml", src)
	if err != nil {
		t.Errorf("%s: fastParse reads a file go-yaml rejects: %v\n%s", name, err, src)
		return true
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("%s: decoded differently\nfast: %#v\ngo-yaml: %#v\n%s", name, fast, slow, src)
	}
	return true
}

// syntheticProps is a property file as bench/compile writes them.
func syntheticProps(n int) string {
	var b strings.Builder
	b.WriteString("models:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: silver_%06d\n    description: Synthetic silver model number %d.\n    columns:\n"+
			"      - name: id\n        description: Row key.\n        tests: [not_null]\n"+
			"      - name: amount\n        description: Amount in currency units.\n", i, i)
	}
	return b.String()
}

// TestFastParseAccepts lists shapes fastParse must read, each decoded as
// go-yaml decodes it.
func TestFastParseAccepts(t *testing.T) {
	tests := []struct{ name, src string }{
		{"synthetic", syntheticProps(3)},
		{"comments everywhere", "# head\nversion: 2 # v\nmodels: # the models\n  # between\n  - name: a # n\n    description: x#y z\n\n    tests: [unique] # t\n"},
		{"list at its key's indentation", "models:\n- name: a\n  columns:\n  - name: b\n    tests:\n    - not_null\n    - unique\n"},
		{"quoted", "models:\n  - name: 'it''s'\n    description: \"say 'hi' # not a comment\"\n    tags: ['a', \"b c\", d]\n"},
		{"scalars", "version: 2\nmodels:\n  - name: m\n    meta: {}\n    config:\n      enabled: true\n      size: 0x1F\n      ratio: 1.5\n      none: null\n      neg: .inf\n      day: 2024-05-28\n      off: FALSE\n      word: nullish\n"},
		{"empty flow list and spaces", "models:\n  - name: m\n    tags: [ ]\n    columns:\n      - name:   c\n        tests: [ not_null ,unique ]\n"},
		{"non-ASCII text", "models:\n  - name: m\n    description: Montant en €, arrondi à 2 décimales.\n"},
		{"tests with arguments", "models:\n  - name: m\n    columns:\n      - name: s\n        tests:\n          - accepted_values:\n              values: [a, b]\n          - relationships:\n              to: ref('x')\n              field: id\n"},
		{"sources", "sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: events_00\n      - name: events_01\n        identifier: ev1\n"},
		{"unit test", "unit_tests:\n  - name: u\n    model: m\n    given:\n      - input: ref('a')\n        rows:\n          - id: 1\n            name: x\n    expect:\n      rows:\n        - id: 1\n"},
		{"flow mappings", "models:\n  - {name: m, description: \"x, y\", tests: [not_null, {accepted_values: {values: [a, 'b'], quote: false}}]}\n  - name: n\n    meta: {owner: {team: bi}, n: -10.5}\n    tags: [[a], []]\n"},
		{"non-ASCII before a test", "models:\n  - name: m\n    columns:\n      - {name: c, description: 'Número é', tests: [not_null, {relationships: {to: ref('ação'), field: id}}]}\n"},
		{"block scalars", "models:\n  - name: a\n    description: >-\n      one\n      two\n\n      three\n  - name: b\n    description: |\n      l1\n        l2 # kept\n\n      l3\n\n  - name: c\n    description: >\n      folded\n      # not a comment\n\n\n      end\n    meta:\n      sql: |-\n        select 1\n"},
		{"block scalar in a list", "models:\n  - name: m\n    tags:\n      - >-\n        a\n        b\n      - c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !fastAgrees(t, tt.name, []byte(tt.src)) {
				t.Errorf("fastParse gave up on:\n%s", tt.src)
			}
		})
	}
}

// TestFastParseGivesUp lists what fastParse leaves to go-yaml.
func TestFastParseGivesUp(t *testing.T) {
	tests := []struct{ name, src string }{
		{"anchor and alias", "models:\n  - &a\n    name: x\n  - *a\n"},
		{"tag", "models:\n  - name: !!str 5\n"},
		{"plain scalar over two lines", "models:\n  - name: m\n    description: one\n      two\n"},
		{"quoted over two lines", "models:\n  - name: m\n    description: 'one\n      two'\n"},
		{"escape", "models:\n  - name: \"a\\tb\"\n"},
		{"null value", "models:\n  - name: m\n    description:\n"},
		{"duplicate key", "models:\n  - name: m\n    name: n\n"},
		{"tab", "models:\n\t- name: m\n"},
		{"carriage return", "models:\r\n  - name: m\r\n"},
		{"document marker", "---\nmodels: []\n"},
		{"colon in a value", "models:\n  - name: m\n    description: a: b\n"},
		{"quoted key", "\"models\":\n  - name: m\n"},
		{"merge key", "models:\n  - <<: {name: m}\n"},
		{"bad indentation", "models:\n  - name: m\n     description: x\n"},
		{"list in a list", "models:\n  - - name: m\n"},
		{"comment right after a value", "models:\n  - name: 'm'#c\n"},
		{"only comments", "# nothing\n"},
		{"reserved key", "true: 1\n"},
		{"plain value ending in spaces", "models:\n  - name: m \n"},
		{"invalid UTF-8", "models:\n  - name: m\xff\n"},
		{"keep chomping", "models:\n  - name: m\n    description: |+\n      a\n"},
		{"indentation indicator", "models:\n  - name: m\n    description: >2\n      a\n"},
		{"comment after a block header", "models:\n  - name: m\n    description: > # c\n      a\n"},
		{"more-indented folded line", "models:\n  - name: m\n    description: >\n      a\n        b\n"},
		{"blank line first in a block scalar", "models:\n  - name: m\n    description: |\n\n      a\n"},
		{"blank line longer than the indentation", "models:\n  - name: m\n    description: |\n      a\n          \n      b\n"},
		{"empty block scalar", "models:\n  - name: m\n    description: |\n  - name: n\n"},
		{"flow list over two lines", "models:\n  - name: m\n    tags: [a,\n      b]\n"},
		{"trailing comma", "models:\n  - name: m\n    tags: [a, b, ]\n"},
		{"null in a flow mapping", "models:\n  - {name: m, description: }\n"},
		{"flow key without a space", "models:\n  - {name:m}\n"},
		{"duplicate flow key", "models:\n  - {name: m, name: n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := fastParse([]byte(tt.src)); ok {
				t.Errorf("fastParse read:\n%s", tt.src)
			}
		})
	}
}

// TestFastParseCorpus runs every property-like YAML of the repository
// (files and the files inside test scripts) through both parsers.
func TestFastParseCorpus(t *testing.T) {
	root := filepath.Join("..", "..")
	var files, accepted int
	check := func(name string, src []byte) {
		files++
		if fastAgrees(t, name, src) {
			accepted++
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".yml", ".yaml":
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check(path, src)
		case ".txtar":
			a, err := txtar.ParseFile(path)
			if err != nil {
				return err
			}
			for _, f := range a.Files {
				if strings.HasSuffix(f.Name, ".yml") || strings.HasSuffix(f.Name, ".yaml") {
					check(path+":"+f.Name, f.Data)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range propsSamples {
		check(fmt.Sprintf("propsSamples[%d]", i), []byte(s))
	}
	t.Logf("%d of %d YAML files read by fastParse", accepted, files)
	if accepted == 0 {
		t.Fatal("fastParse read none of the repository's YAML files")
	}
}

// FuzzFastParse: whatever fastParse reads decodes as go-yaml's tree does.
func FuzzFastParse(f *testing.F) {
	f.Add(syntheticProps(2))
	for _, s := range propsSamples {
		f.Add(s)
	}
	f.Add("models:\n- name: a\n  tests: [x, 'y', \"z\"] # c\n")
	f.Add("models:\n  - name: m\n    config:\n      a: 1\n      b: -2\n      c: 0o17\n")
	f.Fuzz(func(t *testing.T, src string) {
		fastAgrees(t, "input", []byte(src))
	})
}
