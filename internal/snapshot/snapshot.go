// Package snapshot turns a snapshot's config and its query's columns into
// the SQL statements that record the history of a changing table (dbt's
// type-2 slowly changing dimension). The statements are written once for
// both engines: DuckDB and PostgreSQL agree on every construct used
// (temporary tables, UPDATE … FROM, IS NOT DISTINCT FROM, md5), and the
// runner executes them in one transaction.
package snapshot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/project"
)

// Meta column names, as dbt names them.
const (
	ColSCDID     = "dbt_scd_id"     // one id per version of a row: md5 of the key and its updated_at
	ColUpdatedAt = "dbt_updated_at" // the version's updated_at (timestamp strategy) or the run time (check)
	ColValidFrom = "dbt_valid_from" // when this version became current
	ColValidTo   = "dbt_valid_to"   // when it stopped being current; null while current
	ColIsDeleted = "dbt_is_deleted" // 'True' on the row recording a deletion (hard_deletes: new_record)
)

// staging is the temporary table holding one run's rows of the query; temp
// tables belong to a session, and a session builds one snapshot at a time.
const staging = "__ingot_snapshot_rows"

// updatedCol is the staging column with each row's version time.
const updatedCol = "__ingot_updated_at"

// Config is a snapshot's config.
type Config struct {
	UniqueKey   []string
	Strategy    string   // "timestamp" or "check"
	UpdatedAt   string   // timestamp: the column telling when a row last changed
	CheckCols   []string // check: columns compared; nil means all columns
	HardDeletes string   // "ignore" (default), "invalidate" or "new_record"
}

// ParseConfig reads and checks a snapshot's config values.
func ParseConfig(get func(key string) any) (Config, error) {
	var c Config
	c.UniqueKey = project.StringList(get("unique_key"))
	if len(c.UniqueKey) == 0 {
		return c, fmt.Errorf("a snapshot needs unique_key (a column, or a list of columns)")
	}
	c.Strategy = str(get("strategy"))
	switch c.Strategy {
	case "timestamp":
		c.UpdatedAt = str(get("updated_at"))
		if c.UpdatedAt == "" {
			return c, fmt.Errorf("strategy timestamp needs updated_at, the column telling when a row last changed")
		}
	case "check":
		switch v := get("check_cols").(type) {
		case nil:
			return c, fmt.Errorf("strategy check needs check_cols: a list of columns, or \"all\"")
		case string:
			if v != "all" {
				c.CheckCols = []string{v}
			}
		default:
			c.CheckCols = project.StringList(v)
		}
	case "":
		return c, fmt.Errorf("a snapshot needs strategy: timestamp (with updated_at) or check (with check_cols)")
	default:
		return c, fmt.Errorf("unknown snapshot strategy %q (use timestamp or check)", c.Strategy)
	}
	c.HardDeletes = str(get("hard_deletes"))
	if c.HardDeletes == "" {
		if b, ok := get("invalidate_hard_deletes").(bool); ok && b {
			c.HardDeletes = "invalidate" // dbt before 1.9
		} else {
			c.HardDeletes = "ignore"
		}
	}
	if c.HardDeletes != "ignore" && c.HardDeletes != "invalidate" && c.HardDeletes != "new_record" {
		return c, fmt.Errorf("hard_deletes must be ignore, invalidate or new_record, not %q", c.HardDeletes)
	}
	return c, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Plan is the statements of one snapshot run, to run in one transaction,
// and what each one does.
type Plan struct {
	Statements []string
	// Kinds says per statement whether its row count is rows "inserted",
	// "closed" (versions ended) or "" (bookkeeping).
	Kinds []string
}

func (p *Plan) add(kind, sql string) {
	p.Statements = append(p.Statements, sql)
	p.Kinds = append(p.Kinds, kind)
}

// Input is what a run knows before it plans.
type Input struct {
	Relation adapter.Relation
	Query    string           // the snapshot's rendered SELECT
	Source   []adapter.Column // the query's columns
	Existing []adapter.Column // the snapshot table's columns; nil when it does not exist yet
	Now      time.Time        // the run's start: version time of check snapshots and of deletions
	Dialect  adapter.Dialect  // the target's: how names are quoted
}

// Build plans a run of snapshot cfg.
func Build(cfg Config, in Input) (*Plan, error) {
	names := make([]string, len(in.Source))
	for i, c := range in.Source {
		names[i] = c.Name
		if isMeta(c.Name) || c.Name == updatedCol {
			return nil, fmt.Errorf("the snapshot's query has a column %s, which the snapshot adds itself; rename it", c.Name)
		}
	}
	need := append([]string{}, cfg.UniqueKey...)
	if cfg.Strategy == "timestamp" {
		need = append(need, cfg.UpdatedAt)
	}
	need = append(need, cfg.CheckCols...)
	for _, n := range need {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("column %q (named in the snapshot's config) is not a column of its query; it has %s", n, strings.Join(names, ", "))
		}
	}
	checks := cfg.CheckCols
	if cfg.Strategy == "check" && len(checks) == 0 {
		for _, n := range names {
			if !slices.Contains(cfg.UniqueKey, n) {
				checks = append(checks, n)
			}
		}
	}
	now := "cast('" + in.Now.UTC().Format("2006-01-02 15:04:05.000000") + "' as timestamp)"
	rel := in.Dialect.RelationSQL(in.Relation)
	q := in.Dialect.Quote
	stg := q(staging)
	deletes := cfg.HardDeletes == "new_record"

	p := &Plan{}
	version := now
	if cfg.Strategy == "timestamp" {
		version = "cast(" + q(cfg.UpdatedAt) + " as timestamp)"
	}
	p.add("", "drop table if exists "+stg)
	p.add("", "create temporary table "+stg+" as\nselect *, "+version+" as "+q(updatedCol)+"\nfrom (\n"+strings.TrimRight(strings.TrimSpace(in.Query), ";")+"\n) as __ingot_query")

	cols := make([]string, len(names))
	srcCols := make([]string, len(names))
	for i, n := range names {
		cols[i] = q(n)
		srcCols[i] = "s." + q(n)
	}
	scdID := func(alias, at string) string {
		parts := make([]string, 0, len(cfg.UniqueKey)+1)
		for _, k := range cfg.UniqueKey {
			parts = append(parts, "coalesce(cast("+alias+"."+q(k)+" as varchar), '')")
		}
		parts = append(parts, "coalesce(cast("+at+" as varchar), '')")
		return "md5(" + strings.Join(parts, " || '|' || ") + ")"
	}
	metaCols := []string{q(ColSCDID), q(ColUpdatedAt), q(ColValidFrom), q(ColValidTo)}
	if deletes {
		metaCols = append(metaCols, q(ColIsDeleted))
	}
	newRow := func() string {
		vals := []string{scdID("s", "s."+q(updatedCol)), "s." + q(updatedCol), "s." + q(updatedCol), "cast(null as timestamp)"}
		if deletes {
			vals = append(vals, "cast('False' as varchar)")
		}
		return "select " + strings.Join(append(append([]string{}, srcCols...), vals...), ", ") + "\nfrom " + stg + " as s"
	}
	keyMatch := make([]string, len(cfg.UniqueKey))
	for i, k := range cfg.UniqueKey {
		keyMatch[i] = "t." + q(k) + " = s." + q(k)
	}
	match := strings.Join(keyMatch, " and ")
	current := "t." + q(ColValidTo) + " is null"
	insertInto := "insert into " + rel + " (" + strings.Join(append(append([]string{}, cols...), metaCols...), ", ") + ")\n"

	// The first run creates the table empty, with the types of the
	// query's columns, and fills it as any run fills new keys.
	if in.Existing == nil {
		sel := append([]string{}, srcCols...)
		sel = append(sel, scdID("s", "s."+q(updatedCol))+" as "+q(ColSCDID), "s."+q(updatedCol)+" as "+q(ColUpdatedAt),
			"s."+q(updatedCol)+" as "+q(ColValidFrom), "cast(null as timestamp) as "+q(ColValidTo))
		if deletes {
			sel = append(sel, "cast('False' as varchar) as "+q(ColIsDeleted))
		}
		p.add("", "create table "+rel+" as\nselect "+strings.Join(sel, ", ")+"\nfrom "+stg+" as s\nwhere 1 = 0")
	}
	if in.Existing != nil {
		// Columns the query gained since the table was made are added; columns
		// it lost stay, null in new versions.
		have := map[string]bool{}
		for _, c := range in.Existing {
			have[c.Name] = true
		}
		for _, c := range in.Source {
			if !have[c.Name] {
				if c.Type == "" {
					return nil, fmt.Errorf("the snapshot's query gained column %s of unknown type; rebuild the snapshot table", c.Name)
				}
				p.add("", "alter table "+rel+" add column "+q(c.Name)+" "+c.Type)
			}
		}
		if deletes && !have[ColIsDeleted] {
			p.add("", "alter table "+rel+" add column "+q(ColIsDeleted)+" varchar")
			p.add("", "update "+rel+" set "+q(ColIsDeleted)+" = 'False'")
		}

		var changed string
		if cfg.Strategy == "timestamp" {
			changed = "s." + q(updatedCol) + " > t." + q(ColUpdatedAt)
		} else {
			same := make([]string, len(checks))
			for i, c := range checks {
				same[i] = "t." + q(c) + " is not distinct from s." + q(c)
			}
			changed = "not (" + strings.Join(same, " and ") + ")"
			if len(checks) == 0 {
				changed = "false"
			}
		}
		if deletes {
			changed = "(" + changed + " or t." + q(ColIsDeleted) + " = 'True')"
		}

		// Versions whose row changed end when the new version begins.
		p.add("closed", "update "+rel+" as t set "+q(ColValidTo)+" = s."+q(updatedCol)+"\nfrom "+stg+" as s\nwhere "+match+" and "+current+" and "+changed)

		if cfg.HardDeletes != "ignore" {
			gone := current + " and not exists (select 1 from " + stg + " as s where " + match + ")"
			if deletes {
				gone += " and t." + q(ColIsDeleted) + " = 'False'"
				vals := make([]string, len(names))
				for i, n := range names {
					vals[i] = "t." + q(n)
				}
				vals = append(vals, scdID("t", now), now, now, "cast(null as timestamp)", "cast('True' as varchar)")
				// The deletion is a version of its own, current from now on.
				p.add("inserted", insertInto+"select "+strings.Join(vals, ", ")+"\nfrom "+rel+" as t\nwhere "+gone)
			}
			p.add("closed", "update "+rel+" as t set "+q(ColValidTo)+" = "+now+"\nwhere "+gone)
		}
	}

	// Rows with no current version (new keys, and the ones just closed)
	// get one.
	p.add("inserted", insertInto+newRow()+"\nwhere not exists (select 1 from "+rel+" as t where "+current+" and "+match+")")
	p.add("", "drop table "+stg)
	return p, nil
}

func isMeta(name string) bool {
	switch name {
	case ColSCDID, ColUpdatedAt, ColValidFrom, ColValidTo, ColIsDeleted:
		return true
	}
	return false
}
