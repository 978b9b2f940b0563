package project

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// strictDecode is how property files were decoded before the hand
// written walker: go-yaml's reflective decoder in strict mode. The walker
// must give the same structs wherever that decoder succeeds.
func strictDecode(file string, src []byte) (pf propsFileYAML, err error, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false // go-yaml panics on a few malformed inputs
		}
	}()
	err = decodeStrict(file, src, &pf, allPropKeys)
	return pf, err, true
}

// propsSamples are property files of every accepted shape.
var propsSamples = []string{
	``,
	"# only a comment\n",
	"models: []\n",
	"models:\n",
	"models:\n  - name: a\n",
	`version: 2
models:
  - name: invoice_averages
    description: Averages.
    config: {materialized: table, tags: [x], meta: {owner: me}}
    tags: [a, b]
    meta: {k: 1, f: 1.5, b: true, n: null, l: [1, two]}
    docs: {show: false}
    columns:
      - name: customer
        description: The customer.
        data_type: varchar
        quote: true
        constraints: [{type: not_null}]
        tests: [not_null, {accepted_values: {values: [a, b], quote: false}}, {relationships: {to: ref("invoices"), field: customer}}]
        data_tests:
          - unique:
              config: {severity: warn}
      - name: 42
        description: 3.5
    tests: [{unique_combination_of_columns: {combination_of_columns: [customer, account]}}]
    data_tests:
      - expression_is_true:
          expression: "a > 0"
seeds:
  - name: invoices
    config: {column_types: {invoice: "decimal(12,2)"}, schema: raw}
    columns:
      - name: invoice
        tests: [not_null]
sources:
  - name: raw
    description: Raw data.
    schema: landing
    database: db
    loader: fivetran
    meta: {a: b}
    tags: [src]
    config: {enabled: true}
    tables:
      - name: events
        identifier: events_v2
        description: Events.
        loaded_at_field: at
        freshness: {warn_after: {count: 1, period: day}}
        meta: {x: y}
        tags: [t]
        columns:
          - name: id
            tests: [unique]
        tests: [not_empty]
      - name: other
macros:
  - name: m
    description: x
  - just a string
unit_tests:
  - name: averages_null_when_window_incomplete
    model: invoice_averages
    description: Checks the window.
    overrides:
      vars: {invoice_reference_month: "2020-01-01"}
      macros: {is_incremental: true}
      this: [{id: 1}]
    given:
      - input: ref("invoices")
        rows: [{customer: C1, account: A1, month: 2019-12-01, invoice: 10}]
      - input: source("raw", "events")
        format: csv
        rows: |
          id,at
          1,2024-01-01
      - input: ref("x")
        format: sql
        rows: select 1 as id
    expect:
      format: dict
      ordered: true
      rows: [{customer: C1, account: A1, avg_invoices_last_3_months: null}]
    config:
      tags: [unit]
      meta: {m: 1}
  - name: 7
    model: m
    overrides: {is_incremental: true}
`,
	// block and flow mappings, quoted keys and values, odd scalars
	`"models":
  - {name: a, "description": 'quoted', tags: []}
  - name: b
    config:
      +materialized: view
      pre-hook: ["select 1"]
      1: one
      ~: nothing
    columns: [{name: x, tests: [{not_null: {where: "x > 1"}}]}]
`,
	// anchors and merge keys
	`models:
  - name: a
    config: &cfg {materialized: table}
    meta:
      <<: {a: 1, b: 2}
      c: 3
  - &entry
    name: b
    tests: [&t not_null]
    columns:
      - &col {name: id, description: &d the id}
`,
	// aliases
	"models:\n  - name: a\n    config: &cfg {materialized: table}\n    tests: [&t not_null]\n    columns:\n      - &col {name: id, description: &d the id}\n  - name: b\n    config: *cfg\n    tests: [*t]\n    description: *d\n    columns: [*col]\n    meta: {x: *cfg}\n",
	"models:\n  - &e\n    name: a\n  - *e\n",
	"models:\n  - name: a\n    meta: &m {a: 1}\n  - name: b\n    meta:\n      <<: *m\n      b: 2\n",
	// tags
	`models:
  - name: !!str 5
    description: !!str 1.5
    meta: {i: !!int "7", f: !!float 3, s: !!str 4, n: !!null x, b: !!bool yes, t: !!timestamp 2024-01-02}
    tags: !!seq [a]
`,
	"models:\n  - name: a\n    description: |\n      line one\n      line two\n    tests:\n      - not_null\n      -\n      - ~\n",
	"unit_tests:\n  - name: u\n    model: m\n    given:\n      - input: ref(\"a\")\n        rows:\n          - {id: 1, at: 2024-01-01 10:00:00}\n          - id: 2\n            nested: {a: [1, {b: c}]}\n",
	"---\nmodels:\n  - name: a\n---\nmodels: 5\n",
	"models:\n  - name: a\n    meta: {big: 18446744073709551615, neg: -3, hex: 0x1F, inf: .inf, oct: 0o17}\n",
	"models:\n  - name:\n  - ~\n  - name: [a, b]\n  - name: {a: b}\n",
	// a document with no value is skipped
	"!  \n",
}

func TestDecodePropsMatchesStrictDecoder(t *testing.T) {
	for i, src := range propsSamples {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, werr, ok := strictDecode("p.yml", []byte(src))
			if !ok || werr != nil {
				t.Fatalf("sample is not accepted by the strict decoder: %v", werr)
			}
			got, err := decodeProps("p.yml", []byte(src))
			if err != nil {
				t.Fatalf("decodeProps: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeProps =\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

func TestDecodePropsErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown top key", "model:\n  - name: a\n",
			[]string{`p.yml:1:1: unknown key "model" (did you mean "models"?)`}},
		{"unknown entry key", "models:\n  - name: a\n    descripton: x\n",
			[]string{`p.yml:3:5: unknown key "descripton" (did you mean "description"?)`}},
		{"unknown key without suggestion", "models:\n  - name: a\n    zzzzzzzzzz: x\n",
			[]string{`p.yml:3:5: unknown key "zzzzzzzzzz" (known keys: version, models,`}},
		{"unknown nested keys, all reported", "unit_tests:\n  - name: u\n    model: m\n    given:\n      - inputs: ref(\"a\")\n    expect: {rowz: []}\n",
			[]string{`p.yml:5:9: unknown key "inputs" (did you mean "input"?)`, `p.yml:6:14: unknown key "rowz" (did you mean "rows"?)`}},
		{"unknown column key in flow mapping", "models:\n  - name: a\n    columns: [{name: x, test: [not_null]}]\n",
			[]string{`p.yml:3:25: unknown key "test" (did you mean "tests"?)`}},
		{"list where a mapping is expected", "models:\n  - name: a\n    config: [materialized]\n",
			[]string{`p.yml:3:13: "config" must be a mapping, not a list`}},
		{"mapping where a list is expected", "models:\n  name: a\n",
			[]string{`p.yml:2:7: "models" must be a list, not a mapping`}},
		{"string entry where a mapping is expected", "models:\n  - a\n",
			[]string{`p.yml:2:5: an entry of "models" must be a mapping, not a string`}},
		{"list where a string is expected", "models:\n  - name: a\n    description: [x]\n",
			[]string{`p.yml:3:18: "description" must be a string, not a list`}},
		{"string where a list is expected", "models:\n  - name: a\n    tags: x\n",
			[]string{`p.yml:3:11: "tags" must be a list, not a string`}},
		{"not a boolean", "unit_tests:\n  - name: u\n    model: m\n    expect: {ordered: maybe}\n",
			[]string{`p.yml:4:23: "ordered" must be true or false, not a string`}},
		{"file is a list", "- name: a\n",
			[]string{`p.yml:1:1: a property file must be a mapping, not a list`}},
		{"key that is not a string", "models:\n  - name: a\n    1: x\n",
			[]string{`p.yml:3:5: unknown key "1" (known keys: `}},
		{"duplicate key", "models:\n  - name: a\n    name: b\n", []string{`p.yml:3:5:`, `"name"`}},
		{"duplicate through merge", "models:\n  - <<: {name: a}\n    name: b\n", []string{`p.yml:3:5: duplicate key "name"`}},
		{"unknown alias", "models:\n  - name: *nope\n", []string{`p.yml:2:12: could not find alias "nope"`}},
		{"bad yaml", "models: [a\n", []string{"p.yml:"}},
		{"bad tab", "models:\n\t- name: a\n", []string{"p.yml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeProps("p.yml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// TestDecodePropsKnowsEveryKey: every yaml key of the property structs is
// accepted at its level and listed for suggestions, so a key added to a
// struct cannot be forgotten in decodeProps.
func TestDecodePropsKnowsEveryKey(t *testing.T) {
	levels := []struct {
		typ  any
		tmpl string // %s is the key
	}{
		{propsFileYAML{}, "%s: ~\n"},
		{nodePropsYAML{}, "models:\n  - %s: ~\n"},
		{nodePropsYAML{}, "seeds:\n  - %s: ~\n"},
		{columnYAML{}, "models:\n  - columns:\n      - %s: ~\n"},
		{sourceYAML{}, "sources:\n  - %s: ~\n"},
		{sourceTableYAML{}, "sources:\n  - tables:\n      - %s: ~\n"},
		{columnYAML{}, "sources:\n  - tables:\n      - columns:\n          - %s: ~\n"},
		{unitTestYAML{}, "unit_tests:\n  - %s: ~\n"},
		{unitGivenYAML{}, "unit_tests:\n  - given:\n      - %s: ~\n"},
		{unitExpectYAML{}, "unit_tests:\n  - expect:\n      %s: ~\n"},
		{unitOverYAML{}, "unit_tests:\n  - overrides:\n      %s: ~\n"},
		{unitConfigYAML{}, "unit_tests:\n  - config:\n      %s: ~\n"},
	}
	for _, l := range levels {
		typ := reflect.TypeOf(l.typ)
		for i := range typ.NumField() {
			key := typ.Field(i).Tag.Get("yaml")
			if !slices.Contains(allPropKeys, key) {
				t.Errorf("%s.%s: key %q is not in allPropKeys", typ.Name(), typ.Field(i).Name, key)
			}
			if _, err := decodeProps("p.yml", []byte(fmt.Sprintf(l.tmpl, key))); err != nil {
				t.Errorf("%s.%s: key %q is not accepted: %v", typ.Name(), typ.Field(i).Name, key, err)
			}
		}
		if _, err := decodeProps("p.yml", []byte(fmt.Sprintf(l.tmpl, "no_such_key"))); err == nil {
			t.Errorf("%s: an unknown key is accepted", typ.Name())
		}
	}
}

// An anchor may be used in a later test entry (go-yaml's decoder could
// not resolve it: it converted each entry on its own).
func TestDecodePropsAliasAcrossEntries(t *testing.T) {
	src := "models:\n  - name: a\n    tests: [{accepted_values: &v {values: [1]}}, {accepted_values: *v}]\n"
	pf, err := decodeProps("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := pf.Models[0].Tests
	if len(tests) != 2 || !reflect.DeepEqual(tests[0].Value, tests[1].Value) || tests[1].Pos != (Pos{Line: 3, Col: 50}) {
		t.Errorf("tests = %#v", tests)
	}
}

// TestLoadPropertiesPositions checks what loadProperties records from the
// decoded files: test positions, unit test inputs and lines.
func TestLoadPropertiesPositions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"project.yml":  "name: p\n",
		"models/m.sql": "select 1",
		"models/_m.yml": `models:
  - name: m
    tags: [t]
    columns:
      - name: id
        tests:
          - not_null
          - accepted_values:
              values: [1, 2]
    tests: [{relationships: {to: ref("m"), field: id}}]
unit_tests:
  - name: u
    model: m
    overrides: {macros: {is_incremental: true}}
    given:
      - input: ref("m")
        rows: "id\n1\n"
        format: csv
    expect: {rows: [{id: 1}]}
`,
	})
	p, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pr := p.Models[0].Props
	var got []string
	for _, ts := range pr.Tests {
		got = append(got, fmt.Sprintf("%s@%d:%d %v", ts.Column, ts.Line, ts.Col, ts.Value))
	}
	want := []string{
		`@10:13 map[relationships:map[field:id to:ref("m")]]`,
		`id@7:13 not_null`,
		`id@8:28 map[accepted_values:map[values:[1 2]]]`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tests = %q, want %q", got, want)
	}
	if strings.Join(p.Models[0].Config.Tags(), ",") != "t" {
		t.Errorf("config = %v", p.Models[0].Config)
	}
	if len(p.UnitTests) != 1 {
		t.Fatalf("unit tests = %v", p.UnitTests)
	}
	u := p.UnitTests[0]
	if u.Line != 12 || !u.Overrides.IsIncremental || len(u.Given) != 1 || u.Given[0].Line != 16 ||
		u.Given[0].Input != `ref("m")` || u.Given[0].Rows != "id\n1\n" || u.Given[0].Format != "csv" {
		t.Errorf("unit test = %+v", u)
	}
}

// FuzzProperties: any property file content decodes or fails with an
// error, never a panic, and agrees with go-yaml's strict decoder whenever
// that decoder accepts the file.
func FuzzProperties(f *testing.F) {
	for _, s := range propsSamples {
		f.Add(s)
	}
	f.Add("models:\n  - name: a\n    config: [1]\n    tags: x\n")
	f.Add("models: &m\n  - name: a\n    meta: {x: *m}\n")
	f.Add("models:\n  - <<: [{name: a}, {description: b}]\n")
	f.Add("unit_tests: [{name: u, model: m, given: [{input: 1, rows: 2}], expect: {rows: x, ordered: yes}}]\n")
	f.Add("models:\n  - name: a\n    meta:\n      <<: 5\n")
	f.Fuzz(func(t *testing.T, src string) {
		got, err := decodeProps("p.yml", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "p.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Aliases are resolved a little differently (go-yaml gives up on
		// anchors used across test entries) and merge keys are accepted
		// in more places, so only plain files are compared.
		if bytes.ContainsAny([]byte(src), "*<") {
			return
		}
		want, werr, ok := strictDecode("p.yml", []byte(src))
		if !ok || werr != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeProps =\n%#v\nstrict decoder =\n%#v", got, want)
		}
	})
}

// TestLoadPropertiesNoPanic runs whole loads over the samples and a few
// broken files, so errors flow through loadProperties too.
func TestLoadPropertiesNoPanic(t *testing.T) {
	for i, src := range append(propsSamples, "models: [1, [2], {name: {x: 1}}]\n", "sources: [{name: s, tables: [~, {name: t}]}]\n") {
		dir := writeTree(t, map[string]string{"project.yml": "name: p\n", "models/invoice_averages.sql": "select 1", "seeds/invoices.csv": "a\n1\n"})
		if err := os.WriteFile(filepath.Join(dir, "models", "_p.yml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), Options{Dir: dir})
		if p == nil {
			t.Fatalf("sample %d: no project (err %v)", i, err)
		}
	}
}
