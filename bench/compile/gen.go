package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Shape of the synthetic project. Layers follow the medallion layout:
// bronze models clean a source table each, silver models form chains
// (each one builds on the previous one and joins a bronze model), gold
// models fan in several silver models (and sometimes an earlier gold one).
const (
	bronzeShare = 0.3
	goldShare   = 0.2
	chainLength = 10 // silver models per chain
	folderSize  = 50 // models per folder (one property yml per folder)
	sourceCount = 20 // raw source tables
	maxFanIn    = 8  // silver parents of a gold model
)

// genStats describes a generated project.
type genStats struct {
	Bronze, Silver, Gold int
	Files                int
	Bytes                int64
}

func (s genStats) Models() int { return s.Bronze + s.Silver + s.Gold }

// generate writes a synthetic project of n models into dir (which must be
// empty or missing). The same n always gives the same project.
func generate(dir string, n int) (genStats, error) {
	if n < 3 {
		return genStats{}, fmt.Errorf("need at least 3 models, got %d", n)
	}
	g := &generator{dir: dir, rnd: rand.New(rand.NewPCG(uint64(n), 42))}
	st := &g.stats
	st.Bronze = max(1, int(float64(n)*bronzeShare))
	st.Gold = max(1, int(float64(n)*goldShare))
	st.Silver = n - st.Bronze - st.Gold

	g.file("project.yml", projectYML)
	g.file("profiles.yml", profilesYML)
	g.file("macros/synth.sql", macrosSQL)
	g.file("models/bronze/_sources.yml", sourcesYML())
	for i := range st.Bronze {
		g.model("bronze", i, g.bronze(i))
	}
	for i := range st.Silver {
		g.model("silver", i, g.silver(i))
	}
	for i := range st.Gold {
		g.model("gold", i, g.gold(i))
	}
	g.properties("bronze", st.Bronze)
	g.properties("silver", st.Silver)
	g.properties("gold", st.Gold)
	return g.stats, g.err
}

type generator struct {
	dir   string
	rnd   *rand.Rand
	stats genStats
	err   error
}

func (g *generator) file(rel, content string) {
	if g.err != nil {
		return
	}
	path := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		g.err = err
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		g.err = err
		return
	}
	g.stats.Files++
	g.stats.Bytes += int64(len(content))
}

func name(layer string, i int) string { return fmt.Sprintf("%s_%06d", layer, i) }

func folder(i int) string { return fmt.Sprintf("f%04d", i/folderSize) }

func (g *generator) model(layer string, i int, sql string) {
	g.file(fmt.Sprintf("models/%s/%s/%s.sql", layer, folder(i), name(layer, i)), sql)
}

// bronze cleans one raw table with macros and vars.
func (g *generator) bronze(i int) string {
	src := fmt.Sprintf("events_%02d", i%sourceCount)
	return fmt.Sprintf(`-- Bronze model %d: typed and filtered copy of raw.%s.
select
  id,
  customer_id,
  {{ cents_to_units "amount_cents" }} as amount,
  {{ day_of "created_at" }} as day,
  coalesce(deleted, false) as deleted,
  '{{ var "as_of" }}' as as_of
from {{ source "raw" %q }}
where created_at <= '{{ var "as_of" }}'
  and amount_cents >= {{ var "min_amount_cents" 0 }}
`, i, src, src)
}

// silver extends its chain: the first link starts from a bronze model, the
// others from the previous link; each joins one more bronze model. Every
// fifth is incremental.
func (g *generator) silver(i int) string {
	var b strings.Builder
	chain := i / chainLength
	fmt.Fprintf(&b, "-- Silver model %d, link %d of chain %d.\n", i, i%chainLength, chain)
	if i%5 == 4 {
		b.WriteString(`{{ config "materialized" "incremental" "unique_key" "id" }}` + "\n")
	}
	fmt.Fprintf(&b, `{{ config "tags" (list "chain_%d") }}`+"\n", chain)
	from := name("silver", i-1)
	if i%chainLength == 0 {
		from = name("bronze", g.rnd.IntN(g.stats.Bronze))
	}
	join := name("bronze", g.rnd.IntN(g.stats.Bronze))
	fmt.Fprintf(&b, `select
  a.id,
  a.customer_id,
  a.amount + coalesce(b.amount, 0) as amount,
  a.day
from {{ ref %q }} a
left join {{ ref %q }} b on b.id = a.id and {{ not_deleted "b" }}
{{ if is_incremental }}where a.day > (select max(day) from {{ this }}){{ end }}
`, from, join)
	return b.String()
}

// gold fans in 2..maxFanIn silver models, half through a macro building
// the union from a list, half with literal refs; every tenth also reads an
// earlier gold model.
func (g *generator) gold(i int) string {
	k := 2 + g.rnd.IntN(maxFanIn-1)
	parents := make([]string, k)
	for j := range parents {
		parents[j] = name("silver", g.rnd.IntN(g.stats.Silver))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- Gold model %d: fan-in of %d silver models.\n", i, k)
	b.WriteString("with unioned as (\n")
	if i%2 == 0 {
		quoted := make([]string, k)
		for j, p := range parents {
			quoted[j] = fmt.Sprintf("%q", p)
		}
		fmt.Fprintf(&b, "{{ union_refs (list %s) }}\n", strings.Join(quoted, " "))
	} else {
		for j, p := range parents {
			if j > 0 {
				b.WriteString("union all\n")
			}
			fmt.Fprintf(&b, "select id, customer_id, amount, day from {{ ref %q }}\n", p)
		}
	}
	b.WriteString(")\nselect day, count(*) as orders, sum(unioned.amount) as amount")
	if i%10 == 9 {
		fmt.Fprintf(&b, ", max(p.orders) as previous_orders\nfrom unioned\nleft join {{ ref %q }} p using (day)\n", name("gold", g.rnd.IntN(i)))
	} else {
		b.WriteString("\nfrom unioned\n")
	}
	b.WriteString(`where day <= '{{ var "as_of" }}'` + "\ngroup by day\n")
	return b.String()
}

// properties writes one property yml per folder: a description and
// columns for every model, a not_null test on a key column.
func (g *generator) properties(layer string, count int) {
	for start := 0; start < count; start += folderSize {
		var b strings.Builder
		b.WriteString("models:\n")
		for i := start; i < min(count, start+folderSize); i++ {
			key := "id"
			if layer == "gold" {
				key = "day"
			}
			fmt.Fprintf(&b, `  - name: %s
    description: Synthetic %s model number %d.
    columns:
      - name: %s
        description: Row key.
        tests: [not_null]
      - name: amount
        description: Amount in currency units.
`, name(layer, i), layer, i, key)
		}
		g.file(fmt.Sprintf("models/%s/%s/_%s.yml", layer, folder(start), folder(start)), b.String())
	}
}

func sourcesYML() string {
	var b strings.Builder
	b.WriteString("sources:\n  - name: raw\n    schema: raw\n    tables:\n")
	for i := range sourceCount {
		fmt.Fprintf(&b, "      - name: events_%02d\n", i)
	}
	return b.String()
}

const projectYML = `name: synthetic
profile: default
vars:
  as_of: "2024-05-28"
  min_amount_cents: 100
models:
  bronze: {materialized: view}
  silver: {materialized: table}
  gold: {materialized: table, tags: [bi]}
`

const profilesYML = `default:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: ingot.duckdb
      threads: 4
`

const macrosSQL = `{{ define "cents_to_units" }}round({{ . }} / 100.0, 2){{ end }}

{{ define "duckdb__day_of" }}cast(date_trunc('day', {{ . }}) as date){{ end }}
{{ define "postgres__day_of" }}date_trunc('day', {{ . }})::date{{ end }}

{{ define "not_deleted" }}coalesce({{ . }}.deleted, false) = false{{ end }}

{{ define "union_refs" }}
{{ range $i, $m := . }}{{ if $i }}union all
{{ end }}select id, customer_id, amount, day from {{ ref $m }}
{{ end }}
{{ end }}
`
