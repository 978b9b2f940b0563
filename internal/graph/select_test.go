package graph

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/textutil"
)

// medallion is a small project: seeds → bronze → silver → gold, a source,
// data tests and a unit test.
func medallion(t *testing.T) *Graph {
	t.Helper()
	view := map[string]string{"materialized": "view"}
	table := map[string]string{"materialized": "table"}
	return mustNew(t, []Node{
		{ID: "seed.seeds.invoices", Name: "invoices", Schema: "seeds", ResourceType: "seed", Path: "seeds/invoices.csv"},
		{ID: "seed.seeds.customers", Name: "customers", Schema: "seeds", ResourceType: "seed", Path: "seeds/crm/customers.xlsx"},
		{ID: "source.erp.accounts", Name: "accounts", Schema: "erp", ResourceType: "source", Path: "models/bronze/_sources.yml"},
		{ID: "model.bronze.invoices_raw", Name: "invoices_raw", Schema: "bronze", ResourceType: "model", Path: "models/bronze/invoices_raw.sql",
			Config: view, DependsOn: []string{"seed.seeds.invoices"}},
		{ID: "model.bronze.accounts_raw", Name: "accounts_raw", Schema: "bronze", ResourceType: "model", Path: "models/bronze/accounts_raw.sql",
			Config: view, DependsOn: []string{"source.erp.accounts"}},
		{ID: "model.silver.invoices", Name: "invoices", Schema: "silver", ResourceType: "model", Path: "models/silver/invoices.sql",
			Config: map[string]string{"materialized": "incremental", "unique_key": "invoice_id,line"}, DependsOn: []string{"model.bronze.invoices_raw"}},
		{ID: "model.silver.customers", Name: "customers", Schema: "silver", ResourceType: "model", Path: "models/silver/customers.sql",
			Config: table, DependsOn: []string{"seed.seeds.customers", "model.bronze.accounts_raw"}},
		{ID: "model.gold.invoice_averages", Name: "invoice_averages", Schema: "gold", ResourceType: "model", Path: "models/gold/invoice_averages.sql",
			Config: table, Tags: []string{"bi"}, DependsOn: []string{"model.silver.invoices", "model.silver.customers"}},
		{ID: "model.gold.gold_kpi", Name: "gold_kpi", Schema: "gold", ResourceType: "model", Path: "models/gold/kpi/gold_kpi.sql",
			Config: view, Tags: []string{"bi", "finance"}, DependsOn: []string{"model.gold.invoice_averages"}},
		{ID: "test.not_null_invoices_customer", Name: "not_null_invoices_customer", ResourceType: "test", TestType: "generic", Path: "models/silver/_silver.yml",
			AttachedTo: []string{"model.silver.invoices"}, DependsOn: []string{"model.silver.invoices"}},
		{ID: "test.relationships_averages_customers", Name: "relationships_averages_customers", ResourceType: "test", TestType: "data", Path: "models/gold/_gold.yml",
			AttachedTo: []string{"model.gold.invoice_averages", "model.silver.customers"},
			DependsOn:  []string{"model.gold.invoice_averages", "model.silver.customers"}},
		{ID: "test.assert_kpi_positive", Name: "assert_kpi_positive", ResourceType: "test", TestType: "singular", Path: "tests/assert_kpi_positive.sql",
			DependsOn: []string{"model.gold.gold_kpi"}},
		{ID: "test.unit_averages_window", Name: "unit_averages_window", ResourceType: "test", TestType: "unit", Path: "models/gold/_gold.yml",
			AttachedTo: []string{"model.gold.invoice_averages"}},
	})
}

// short names for readable expectations.
const (
	sInv   = "seed.seeds.invoices"
	sCust  = "seed.seeds.customers"
	srcAcc = "source.erp.accounts"
	bInv   = "model.bronze.invoices_raw"
	bAcc   = "model.bronze.accounts_raw"
	slInv  = "model.silver.invoices"
	slCust = "model.silver.customers"
	gAvg   = "model.gold.invoice_averages"
	gKpi   = "model.gold.gold_kpi"
	tNN    = "test.not_null_invoices_customer"
	tRel   = "test.relationships_averages_customers"
	tKpi   = "test.assert_kpi_positive"
	tUnit  = "test.unit_averages_window"
)

func TestSelect(t *testing.T) {
	g := medallion(t)
	models := SelectOptions{ResourceTypes: []string{"model"}}
	tests := []struct {
		name     string
		include  []string
		exclude  []string
		opts     SelectOptions
		want     []string
		warnings []string // substrings, one per warning
	}{
		{name: "empty include selects all models", opts: models, want: []string{bAcc, bInv, slCust, slInv, gAvg, gKpi}},
		{name: "bare name", include: []string{"invoice_averages"}, opts: models, want: []string{gAvg}},
		{name: "bare name shared by a seed and a model", include: []string{"invoices"}, want: []string{sInv, slInv, tNN}},
		{name: "schema.name", include: []string{"silver.invoices"}, opts: models, want: []string{slInv}},
		{name: "full id", include: []string{"seed.seeds.invoices"}, want: []string{sInv}},
		{name: "bare schema selects the folder", include: []string{"bronze"}, want: []string{bAcc, bInv}},
		{name: "test by name", include: []string{"not_null_invoices_customer"}, want: []string{tNN}},
		{name: "glob in name", include: []string{"gold_*"}, want: []string{gKpi, tKpi}},
		{name: "glob in schema.name", include: []string{"silver.*"}, opts: models, want: []string{slCust, slInv}},
		{name: "fqn method", include: []string{"fqn:invoice_averages"}, opts: models, want: []string{gAvg}},
		{name: "+name all ancestors", include: []string{"+invoice_averages"}, opts: models,
			want: []string{bAcc, bInv, slCust, slInv, gAvg}},
		{name: "+name with seeds and sources", include: []string{"+silver.customers"},
			opts: SelectOptions{IndirectTests: IndirectEmpty}, want: []string{sCust, srcAcc, bAcc, slCust}},
		{name: "1+name", include: []string{"1+invoice_averages"}, opts: models, want: []string{slCust, slInv, gAvg}},
		{name: "2+name", include: []string{"2+invoice_averages"}, opts: models, want: []string{bAcc, bInv, slCust, slInv, gAvg}},
		{name: "name+", include: []string{"silver.invoices+"}, opts: models, want: []string{slInv, gAvg, gKpi}},
		{name: "name+1", include: []string{"invoices_raw+1"}, opts: models, want: []string{bInv, slInv}},
		{name: "+name+", include: []string{"+silver.invoices+"}, opts: models, want: []string{bInv, slInv, gAvg, gKpi}},
		{name: "0+name+0 is the node", include: []string{"0+gold_kpi+0"}, opts: models, want: []string{gKpi}},
		{name: "@name", include: []string{"@invoices_raw"}, opts: models,
			want: []string{bAcc, bInv, slCust, slInv, gAvg, gKpi}},
		{name: "tag", include: []string{"tag:finance"}, opts: models, want: []string{gKpi}},
		{name: "tag glob", include: []string{"tag:fin*"}, opts: models, want: []string{gKpi}},
		{name: "path folder", include: []string{"path:models/gold"}, opts: models, want: []string{gAvg, gKpi}},
		{name: "path folder trailing slash and ./", include: []string{"path:./models/gold/kpi/"}, opts: models, want: []string{gKpi}},
		{name: "path file", include: []string{"path:models/silver/invoices.sql"}, opts: models, want: []string{slInv}},
		{name: "path is not a string prefix", include: []string{"path:models/gol"}, warnings: []string{`"path:models/gol" matches no node`}},
		{name: "path glob", include: []string{"path:models/*/invoices*"}, opts: models, want: []string{bInv, slInv}},
		{name: "path dot is everything with a file", include: []string{"path:."}, opts: SelectOptions{ResourceTypes: []string{"seed", "source"}},
			want: []string{sCust, srcAcc, sInv}},
		{name: "bare value with slash is a path", include: []string{"models/bronze"}, opts: models, want: []string{bAcc, bInv}},
		{name: "bare file name", include: []string{"gold_kpi.sql"}, opts: models, want: []string{gKpi}},
		{name: "file method on a seed", include: []string{"file:customers.xlsx"}, want: []string{sCust}},
		{name: "config", include: []string{"config.materialized:view"}, opts: models, want: []string{bAcc, bInv, gKpi}},
		{name: "config list element", include: []string{"config.unique_key:line"}, want: []string{slInv, tNN}},
		{name: "config whole list", include: []string{"config.unique_key:invoice_id,line"},
			warnings: []string{`"config.unique_key:invoice_id,line" matches no node`}}, // comma means intersection
		{name: "resource_type", include: []string{"resource_type:seed"}, want: []string{sCust, sInv}},
		{name: "source", include: []string{"source:erp"}, opts: SelectOptions{IndirectTests: IndirectEmpty}, want: []string{srcAcc}},
		{name: "source with table and children", include: []string{"source:erp.accounts+1"}, want: []string{srcAcc, bAcc}},
		{name: "test_type unit", include: []string{"test_type:unit"}, want: []string{tUnit}},
		{name: "test_type data covers generic and singular", include: []string{"test_type:data"}, want: []string{tNN, tRel, tKpi}},
		{name: "test_type generic", include: []string{"test_type:generic"}, want: []string{tNN}},
		{name: "test_type singular", include: []string{"test_type:singular"}, want: []string{tKpi}},

		{name: "space is union in one argument", include: []string{"gold_kpi invoices_raw"}, opts: models, want: []string{bInv, gKpi}},
		{name: "several arguments are a union", include: []string{"gold_kpi", "invoices_raw"}, opts: models, want: []string{bInv, gKpi}},
		{name: "comma is intersection", include: []string{"tag:bi,config.materialized:table"}, opts: models, want: []string{gAvg}},
		{name: "intersection with graph operators", include: []string{"+gold_kpi,path:models/silver"}, opts: models, want: []string{slCust, slInv}},
		{name: "exclude", include: []string{"path:models"}, exclude: []string{"tag:bi"}, opts: models,
			want: []string{bAcc, bInv, slCust, slInv}},
		{name: "exclude with graph operator", include: []string{"+gold_kpi"}, exclude: []string{"+silver.customers"}, opts: models,
			want: []string{bInv, slInv, gAvg, gKpi}},
		{name: "exclude only", exclude: []string{"gold"}, opts: models, want: []string{bAcc, bInv, slCust, slInv}},

		// Indirect test selection.
		{name: "eager: any tested node selected", include: []string{"invoice_averages"}, want: []string{gAvg, tRel, tUnit}},
		{name: "cautious: all tested nodes selected", include: []string{"invoice_averages"},
			opts: SelectOptions{IndirectTests: IndirectCautious}, want: []string{gAvg, tUnit}},
		{name: "cautious with both parents", include: []string{"invoice_averages silver.customers"},
			opts: SelectOptions{IndirectTests: IndirectCautious}, want: []string{slCust, gAvg, tRel, tUnit}},
		{name: "buildable: tested nodes are ancestors", include: []string{"gold_kpi"},
			opts: SelectOptions{IndirectTests: IndirectBuildable}, want: []string{gKpi, tNN, tRel, tKpi, tUnit}},
		{name: "buildable leaves out tests of descendants", include: []string{"silver.customers"},
			opts: SelectOptions{IndirectTests: IndirectBuildable}, want: []string{slCust}},
		{name: "eager takes tests of descendants touching the node", include: []string{"silver.customers"},
			want: []string{slCust, tRel}},
		{name: "empty: no indirect tests", include: []string{"invoice_averages"},
			opts: SelectOptions{IndirectTests: IndirectEmpty}, want: []string{gAvg}},
		{name: "tests of a selection for ingot test", include: []string{"tag:bi"},
			opts: SelectOptions{ResourceTypes: []string{"test"}}, want: []string{tRel, tKpi, tUnit}},
		{name: "exclusion of a tested node excludes its tests greedily", include: []string{"test_type:data"},
			exclude: []string{"silver.customers"}, want: []string{tNN, tKpi}},
		{name: "excluding a test directly", include: []string{"invoice_averages"}, exclude: []string{"test_type:unit"},
			want: []string{gAvg, tRel}},
		{name: "a model's unit tests by intersection", include: []string{"invoice_averages,test_type:unit"},
			want: []string{tUnit}},
		{name: "a model's data tests by intersection", include: []string{"test_type:data,invoice_averages"},
			want: []string{tRel}},
		{name: "intersection brings tests per criterion (cautious)", include: []string{"invoice_averages,test_type:data"},
			opts: SelectOptions{IndirectTests: IndirectCautious}, want: nil, warnings: []string{"matches no node"}},
		{name: "intersection without indirect tests", include: []string{"invoice_averages,test_type:unit"},
			opts: SelectOptions{IndirectTests: IndirectEmpty}, want: nil, warnings: []string{"matches no node"}},
		{name: "excluding a model's unit tests by intersection", include: []string{"invoice_averages"},
			exclude: []string{"invoice_averages,test_type:unit"}, want: []string{gAvg, tRel}},

		// Warnings.
		{name: "unknown name warns with a suggestion", include: []string{"invoice_avrages"},
			warnings: []string{`selector "invoice_avrages" matches no node (did you mean "invoice_averages"?)`}},
		{name: "suggestion keeps operators", include: []string{"+gold_kip+"},
			warnings: []string{`(did you mean "+gold_kpi+"?)`}},
		{name: "unknown name, nothing close", include: []string{"zzzzzzzz"}, warnings: []string{`selector "zzzzzzzz" matches no node`}},
		{name: "empty intersection warns", include: []string{"tag:finance,config.materialized:table"},
			warnings: []string{`selector "tag:finance,config.materialized:table" matches no node`}},
		{name: "unknown tag suggests", include: []string{"tag:fianance"}, warnings: []string{`did you mean "tag:finance"?`}},
		{name: "unknown resource type suggests", include: []string{"resource_type:models"}, warnings: []string{`did you mean "resource_type:model"?`}},
		{name: "unmatched exclude warns too", include: []string{"gold_kpi"}, exclude: []string{"nope_nope"}, opts: models,
			want: []string{gKpi}, warnings: []string{`"nope_nope" matches no node`}},
		{name: "one warning per unmatched selector, matches kept", include: []string{"gold_kpi nothing_here"}, opts: models,
			want: []string{gKpi}, warnings: []string{`"nothing_here"`}},
		{name: "resource type filter gives no warning", include: []string{"gold_kpi"}, opts: SelectOptions{ResourceTypes: []string{"seed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.Select(tt.include, tt.exclude, tt.opts)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			if !sameSet(got.IDs, tt.want) {
				t.Errorf("IDs = %v\nwant %v", got.IDs, tt.want)
			}
			if !inTopoOrder(g, got.IDs) {
				t.Errorf("IDs not in topological order: %v", got.IDs)
			}
			if len(got.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d like %q", got.Warnings, len(tt.warnings), tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.Contains(got.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", got.Warnings[i], w)
				}
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func inTopoOrder(g *Graph, ids []string) bool {
	return slices.IsSortedFunc(ids, func(a, b string) int { return g.Rank(a) - g.Rank(b) })
}

func TestSelectErrors(t *testing.T) {
	g := medallion(t)
	tests := []struct {
		name    string
		include []string
		exclude []string
		opts    SelectOptions
		want    []string // substrings of the error
	}{
		{name: "config without value", include: []string{"config.materialized"}, want: []string{`invalid selector "config.materialized"`, "config.materialized:VALUE"}},
		{name: "config without key", include: []string{"config.:table"}, want: []string{"missing config key"}},
		{name: "config alone", include: []string{"config:table"}, want: []string{"missing config key"}},
		{name: "empty tag", include: []string{"tag:"}, want: []string{`invalid selector "tag:"`, "missing value"}},
		{name: "digits then letters before plus", include: []string{"3x+name"}, want: []string{`invalid selector "3x+name"`}},
		{name: "plus inside a name", include: []string{"a+b"}, want: []string{`"a+b"`}},
		{name: "only operators", include: []string{"+"}, want: []string{"missing node name"}},
		{name: "at alone", include: []string{"@"}, want: []string{"missing node name"}},
		{name: "at with plus prefix", include: []string{"@+name"}, want: []string{`"@" and a "+" prefix`}},
		{name: "at inside", include: []string{"na@me"}, want: []string{`"na@me"`}},
		{name: "unknown method suggests", include: []string{"tags:bi"}, want: []string{`unknown method "tags" (did you mean "tag"?)`}},
		{name: "not a method", include: []string{"models/x:y"}, want: []string{`"models/x" is not a selector method`}},
		{name: "empty intersection part", include: []string{"tag:bi,"}, want: []string{`invalid selector "tag:bi,"`}},
		{name: "bad test_type", include: []string{"test_type:integration"}, want: []string{"test_type must be"}},
		{name: "huge depth", include: []string{"99999999999999999999+x"}, want: []string{"too large"}},
		{name: "errors in exclude too, all reported", include: []string{"tag:"}, exclude: []string{"3x+y"},
			want: []string{`"tag:"`, `"3x+y"`}},
		{name: "bad indirect mode", opts: SelectOptions{IndirectTests: "lazy"}, want: []string{`unknown indirect selection mode "lazy"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.Select(tt.include, tt.exclude, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.opts.IndirectTests == "" {
				var se *SelectorError
				if !errors.As(err, &se) {
					t.Errorf("error is not a *SelectorError: %v", err)
				}
			}
		})
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in   string
		want []Criterion
	}{
		{"name", []Criterion{{Method: MethodFQN, Value: "name", ParentsDepth: -1, ChildrenDepth: -1}}},
		{"2024_sales", []Criterion{{Method: MethodFQN, Value: "2024_sales", ParentsDepth: -1, ChildrenDepth: -1}}},
		{"2+tag:bi+3", []Criterion{{Method: MethodTag, Value: "bi", Parents: true, ParentsDepth: 2, Children: true, ChildrenDepth: 3}}},
		{"@source:erp.accounts", []Criterion{{Method: MethodSource, Value: "erp.accounts", ChildrensParents: true, ParentsDepth: -1, ChildrenDepth: -1}}},
		{"config.materialized:table", []Criterion{{Method: MethodConfig, Key: "materialized", Value: "table", ParentsDepth: -1, ChildrenDepth: -1}}},
		{"path:c:/x", []Criterion{{Method: MethodPath, Value: "c:/x", ParentsDepth: -1, ChildrenDepth: -1}}},
		{"models/gold", []Criterion{{Method: MethodPath, Value: "models/gold", ParentsDepth: -1, ChildrenDepth: -1}}},
		{"x.sql", []Criterion{{Method: MethodFile, Value: "x.sql", ParentsDepth: -1, ChildrenDepth: -1}}},
	}
	for _, tt := range tests {
		sels, err := ParseSelector(tt.in)
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", tt.in, err)
		}
		if len(sels) != 1 {
			t.Fatalf("ParseSelector(%q) = %d selectors", tt.in, len(sels))
		}
		for i := range sels[0].Criteria {
			sels[0].Criteria[i].Raw = ""
		}
		if !reflect.DeepEqual(sels[0].Criteria, tt.want) {
			t.Errorf("ParseSelector(%q) = %+v, want %+v", tt.in, sels[0].Criteria, tt.want)
		}
	}
	sels, err := ParseSelector("  a  b,c\tfqn:d  ")
	if err != nil || len(sels) != 3 || len(sels[1].Criteria) != 2 || sels[1].Raw != "b,c" {
		t.Fatalf("fields/commas: %+v %v", sels, err)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"gold_*", "gold_kpi", true},
		{"gold_*", "gold_", true},
		{"gold_*", "silver_kpi", false},
		{"*_kpi", "gold_kpi", true},
		{"g?ld", "gold", true},
		{"g?ld", "gld", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b", "xxaxxbxxc", false},
		{"models/*/x.sql", "models/gold/sub/x.sql", true},
		{"[x]", "[x]", true},
		{"", "", true},
		{"*", "", true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"name", "+a+", "2+tag:x+3", "@a", "config.m:t", "a,b c", "3x+y", "path:c:/x", "+", "@", "9999999999999999999+a", "source:é.ü+"} {
		f.Add(s)
	}
	g, err := New([]Node{
		{ID: "a", Name: "a", Schema: "s", Tags: []string{"x"}, Path: "models/s/a.sql"},
		{ID: "b", Name: "b", DependsOn: []string{"a"}, ResourceType: "test", AttachedTo: []string{"a", "zz"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sels, err := ParseSelector(s)
		if err == nil {
			for _, sel := range sels {
				if len(sel.Criteria) == 0 {
					t.Fatalf("selector %q without criteria", sel.Raw)
				}
				for _, c := range sel.Criteria {
					if c.Value == "" || c.Method == "" {
						t.Fatalf("criterion %+v lacks method or value", c)
					}
				}
			}
		}
		_, _ = g.Select([]string{s}, []string{s}, SelectOptions{})
		_ = textutil.Suggest(s, []string{"a", "abc", s + "x"})
	})
}
