package convert

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/jinja"
)

// TestConvertSnapshots: a dbt snapshot block becomes snapshots/NAME.sql
// with the config keys ingot reads; the others are listed at the config
// call, and what is not a snapshot at its line in the dbt file.
func TestConvertSnapshots(t *testing.T) {
	const project = "name: shop\nprofile: shop\n"
	for _, tc := range []struct {
		name  string
		files map[string]string // besides dbt_project.yml and the seed raw
		want  map[string]string // converted files, exactly
		gone  []string          // files not written
		todo  []string
	}{{
		name: "timestamp, invalidate_hard_deletes",
		files: map[string]string{"snapshots/orders_snapshot.sql": `{% snapshot orders_snapshot %}

{{
    config(
      target_schema='snapshots',
      unique_key='id',
      strategy='timestamp',
      updated_at='updated_at',
      invalidate_hard_deletes=True,
    )
}}

select * from {{ ref('raw') }}

{% endsnapshot %}
`},
		want: map[string]string{"snapshots/orders_snapshot.sql": `{{ config "target_schema" "snapshots" "unique_key" "id" "strategy" "timestamp" "updated_at" "updated_at" "invalidate_hard_deletes" true }}

select * from {{ ref "raw" }}
`},
	}, {
		name: "check, hard_deletes, named by the block",
		files: map[string]string{"snapshots/history.sql": `-- outside the block: dbt ignores it
{%- snapshot customers_history -%}
{{ config(unique_key=['id', 'region'], strategy='check', check_cols=['tier'], hard_deletes='invalidate', tags=['nightly']) }}
select id, region, tier from {{ ref('raw') }}
{%- endsnapshot %}
`},
		want: map[string]string{"snapshots/customers_history.sql": `{{ config "unique_key" (list "id" "region") "strategy" "check" "check_cols" (list "tier") "hard_deletes" "invalidate" "tags" (list "nightly") }}
select id, region, tier from {{ ref "raw" }}
`},
		gone: []string{"snapshots/history.sql"},
	}, {
		name: "keys ingot has not got",
		files: map[string]string{"snapshots/s.sql": `{% snapshot s %}
-- every column
{{ config(target_database='analytics', unique_key='id', strategy='check', check_cols='all',
          post_hook="grant select on {{ this }} to reporter", snapshot_meta_column_names={'dbt_valid_from': 'valid_from'},
          dbt_valid_to_current="'9999-12-31'", grants={'select': ['bi']}, color='blue') }}
select * from {{ ref('raw') }}
{% endsnapshot %}
`},
		want: map[string]string{"snapshots/s.sql": `-- every column
{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" }}
select * from {{ ref "raw" }}
`},
		todo: []string{
			"snapshots/s.sql:2: config target_database is not supported: ingot builds into the target's database only (choose the database in profiles.yml) (not converted)",
			"snapshots/s.sql:2: config post_hook is not supported: ingot runs no hooks on snapshots; run the statements in a hook of a model that refs the snapshot (not converted)",
			"snapshots/s.sql:2: config snapshot_meta_column_names is not supported: ingot's snapshots have dbt's default columns (dbt_valid_from, dbt_valid_to, …), dbt_valid_to null while a version is current (not converted)",
			"snapshots/s.sql:2: config dbt_valid_to_current is not supported: ingot's snapshots have dbt's default columns (dbt_valid_from, dbt_valid_to, …), dbt_valid_to null while a version is current (not converted)",
			"snapshots/s.sql:2: config grants is not supported: " + `ingot does not run GRANT statements; write them as a post_hook, e.g. post_hook: "grant select on {{ this }} to reporter" (not converted)`,
			"snapshots/s.sql:2: config color has no ingot equivalent (not converted)",
		},
	}, {
		name: "two blocks, expressions in the config, and files that are no snapshot",
		files: map[string]string{
			"snapshots/two.sql": `{% snapshot a %}
{{ config(unique_key='id', strategy='check', check_cols=['tier'] if target.name == 'dev' else 'all', schema=var('snap_schema', 'snaps')) }}
select id, tier from {{ ref('raw') }}
{% endsnapshot %}
{% snapshot b %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select * from {{ ref('raw') }} where tier != 'x'
{% endsnapshot %}
`,
			"snapshots/w_dup.sql":   "{% snapshot dup %}\nselect 1 as id\n{% endsnapshot %}\n{% snapshot a %}\nselect 1 as id\n{% endsnapshot %}\n",
			"snapshots/empty.sql":   "select 1\n",
			"snapshots/open.sql":    "\n{% snapshot c %}\nselect 1\n",
			"snapshots/badname.sql": "{% snapshot 'x' %}\nselect 1\n{% endsnapshot %}\n",
			"snapshots/notes.txt":   "x\n",
			"snapshots/_schema.yml": "snapshots:\n  - name: b\n    description: the b history\n",
		},
		want: map[string]string{
			"snapshots/a.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" (ternary (list "tier") "all" (eq (target).name "dev")) "schema" (var "snap_schema" "snaps") }}
select id, tier from {{ ref "raw" }}
`,
			"snapshots/b.sql": `{{ config "unique_key" "id" "strategy" "timestamp" "updated_at" "updated_at" }}
select * from {{ ref "raw" }} where tier != 'x'
`,
			"snapshots/_schema.yml": "snapshots:\n  - name: b\n    description: the b history\n",
			"snapshots/dup.sql":     "select 1 as id\n",
		},
		todo: []string{
			`snapshots/badname.sql:1:1: snapshot name "'x'" is not a name (not copied)`,
			"snapshots/empty.sql:1: no {% snapshot %} block, so dbt reads nothing here (not copied)",
			"snapshots/notes.txt: not a snapshot or property file; not copied",
			"snapshots/open.sql:2: {% snapshot %} is never closed with {% endsnapshot %} (not copied)",
			"snapshots/w_dup.sql:4: snapshot a is defined in snapshots/two.sql already (not copied)",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
			files := map[string]string{"dbt_project.yml": project, "seeds/raw.csv": "id,region,tier,updated_at\n1,eu,gold,2024-01-01\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			writeFiles(t, src, files)
			res, err := Convert(context.Background(), Options{Src: src, Dst: dst, Engines: engines(t)})
			if err != nil {
				t.Fatal(err)
			}
			var todo []string
			for _, x := range res.Todo {
				if !strings.HasPrefix(x.File, "profiles.yml") {
					todo = append(todo, x.String())
				}
			}
			if strings.Join(todo, "\n") != strings.Join(tc.todo, "\n") {
				t.Errorf("todo:\n%s\nwant:\n%s", strings.Join(todo, "\n"), strings.Join(tc.todo, "\n"))
			}
			for f, want := range tc.want {
				if got := read(t, filepath.Join(dst, filepath.FromSlash(f))); got != want {
					t.Errorf("%s:\n%s\nwant:\n%s", f, got, want)
				}
			}
			for _, f := range tc.gone {
				if _, err := os.Stat(filepath.Join(dst, filepath.FromSlash(f))); err == nil {
					t.Errorf("%s written", f)
				}
			}
		})
	}
}

// TestConvertSnapshotProjectConfig: dbt_project.yml's snapshots: config
// goes to project.yml, a single snapshot's to a property file beside it,
// and non-default snapshot-paths along.
func TestConvertSnapshotProjectConfig(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	writeFiles(t, src, map[string]string{
		"dbt_project.yml": `name: shop
snapshot-paths: [history]
snapshots:
  shop:
    +target_schema: snapshots
    +post-hook: "select 1"
    orders_snapshot:
      +unique_key: id
`,
		"history/orders_snapshot.sql": "{% snapshot orders_snapshot %}\n{{ config(strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n",
	})
	res, err := Convert(context.Background(), Options{Src: src, Dst: dst, Engines: engines(t)})
	if err != nil {
		t.Fatal(err)
	}
	var todo []string
	for _, x := range res.Todo {
		if !strings.HasPrefix(x.File, "profiles.yml") {
			todo = append(todo, x.String())
		}
	}
	if want := "dbt_project.yml:6: config post_hook is not supported: ingot runs no hooks on snapshots; run the statements in a hook of a model that refs the snapshot (not converted)"; strings.Join(todo, "\n") != want {
		t.Errorf("todo:\n%s\nwant:\n%s", strings.Join(todo, "\n"), want)
	}
	proj := read(t, filepath.Join(dst, "project.yml"))
	for _, want := range []string{"snapshot-paths:\n  - history", "snapshots:\n  target_schema: snapshots"} {
		if !strings.Contains(proj, want) {
			t.Errorf("project.yml lacks %q:\n%s", want, proj)
		}
	}
	if got := read(t, filepath.Join(dst, "history/_dbt_project_config.yml")); !strings.Contains(got, "snapshots:\n  - name: orders_snapshot\n    config:\n      unique_key: id") {
		t.Errorf("history/_dbt_project_config.yml:\n%s", got)
	}
}

// TestJinjaOf: a config value spelled again parses to the same tree.
func TestJinjaOf(t *testing.T) {
	for _, src := range []string{
		`'it''s'`, `'a\'b\\c'`, `['id', "region"]`, `{'a': 1, 'b': [true, none]}`, `var('x', 'y')`,
		`target.schema ~ '_snap'`, `'a' if target.name == 'dev' else 'b'`, `x is not none`, `not (a or b)`,
		`-n * (2 + 3)`, `xs | join(', ')`, `m.f(1, k=2)[0]`, `"tab\there"`,
	} {
		n, err := jinja.ParseExpr(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		again, err := jinja.ParseExpr(jinjaOf(n))
		if err != nil {
			t.Fatalf("%s → %s: %v", src, jinjaOf(n), err)
		}
		if jinjaOf(again) != jinjaOf(n) {
			t.Errorf("%s → %s → %s", src, jinjaOf(n), jinjaOf(again))
		}
	}
}
