package postgres

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
)

// duckCopy writes the result of a DuckDB query to path with COPY.
func duckCopy(t *testing.T, query, path, format string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("COPY (" + query + ") TO '" + path + "' (FORMAT " + format + ")"); err != nil {
		t.Fatal(err)
	}
}

func writeXLSX(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func columnsOfRel(t *testing.T, e *env, r adapter.Relation) []string {
	t.Helper()
	_, cols, err := e.a.Describe(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cols {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}

func TestLoadSeed(t *testing.T) {
	root := t.TempDir()
	csvFile := adaptertest.WriteFile(t, root, "seeds/invoices.csv", "id,customer,amount,day,paid\n1,C1,10.50,2024-01-31,true\n2,C2,,2024-02-29,false\n")
	bigFile := adaptertest.WriteFile(t, root, "seeds/big.csv", "h\n170141183460469231731687303715884105727\n-170141183460469231731687303715884105728\n")
	jsonFile := adaptertest.WriteFile(t, root, "seeds/events.json", `[{"id": 1, "tags": ["a", "b"], "meta": {"k": "v"}, "at": "2024-05-28T13:14:15"}, {"id": 2, "tags": [], "meta": null, "at": null}]`)
	jsonlFile := adaptertest.WriteFile(t, root, "seeds/lines.json", "{\"n\": 1}\n{\"n\": 2}\n")
	parquetFile := filepath.Join(root, "seeds", "types.parquet")
	duckCopy(t, `select 1::tinyint as i1, 2::smallint as i2, 3::integer as i4, 4::bigint as i8, 200::utinyint as u1,
		4000000000::uinteger as u4, 18446744073709551615::ubigint as u8,
		1.5::float as f4, 2.25::double as f8, 123.45::decimal(10,2) as d, 12345678901234567890.123456789::decimal(38,9) as d38,
		'text' as s, '\x01\x02'::blob as b, date '2024-02-29' as dt, time '13:14:15.5' as tm,
		timestamp '2024-05-28 13:14:15.123456' as ts, timestamptz '2024-05-28 13:14:15+02' as tstz,
		interval '1 month 2 days 3 hours' as iv, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id,
		[1, 2] as lst, {'a': 1, 'b': 'x'} as st, map {'k': 1} as mp, '{"j": [1]}'::json as js, true as bo,
		null::integer as nothing`, parquetFile, "parquet")
	xlsxFile := filepath.Join(root, "seeds", "budget.xlsx")
	writeXLSX(t, xlsxFile, [][]any{{"dept", "budget"}, {"ops", 100}, {"dev", 250.5}})
	hour13 := adaptertest.WriteFile(t, root, "seeds/chatbot/hour=13.json", `[{"q": "hi"}]`)
	hour14 := adaptertest.WriteFile(t, root, "seeds/chatbot/hour=14.json", `[{"q": "bye"}, {"q": "again"}]`)

	tests := []struct {
		name     string
		seed     adapter.Seed
		wantCols []string
		query    string
		wantRows []string
	}{
		{
			name:     "csv",
			seed:     adapter.Seed{Files: []string{csvFile}, Format: "csv"},
			wantCols: []string{"id bigint", "customer text", "amount double precision", "day date", "paid boolean"},
			query:    `select id, customer, amount, day, paid from seeds.t`,
			wantRows: []string{"1|C1|10.5|2024-01-31 00:00:00 +0000 UTC|true", "2|C2|NULL|2024-02-29 00:00:00 +0000 UTC|false"},
		},
		{
			name:     "csv with column_types",
			seed:     adapter.Seed{Files: []string{csvFile}, Format: "csv", ColumnTypes: map[string]string{"amount": "decimal(12,2)", "id": "varchar"}},
			wantCols: []string{"id text", "customer text", "amount numeric(12,2)", "day date", "paid boolean"},
			query:    `select id, amount::text from seeds.t`,
			wantRows: []string{"1|10.50", "2|NULL"},
		},
		{
			// Parquet has no 128-bit integers; a CSV column can be declared one.
			name:     "csv hugeint",
			seed:     adapter.Seed{Files: []string{bigFile}, Format: "csv", ColumnTypes: map[string]string{"h": "hugeint"}},
			wantCols: []string{"h numeric"},
			query:    `select h::text from seeds.t`,
			wantRows: []string{"-170141183460469231731687303715884105728", "170141183460469231731687303715884105727"},
		},
		{
			name:     "json array",
			seed:     adapter.Seed{Files: []string{jsonFile}, Format: "json"},
			wantCols: []string{"id bigint", "tags jsonb", "meta jsonb", "at timestamp without time zone"},
			query:    `select id, tags::text, meta::text, at from seeds.t`,
			wantRows: []string{`1|["a", "b"]|{"k": "v"}|2024-05-28 13:14:15 +0000 UTC`, "2|[]|NULL|NULL"},
		},
		{
			name:     "json lines",
			seed:     adapter.Seed{Files: []string{jsonlFile}, Format: "json"},
			wantCols: []string{"n bigint"},
			query:    `select n from seeds.t`,
			wantRows: []string{"1", "2"},
		},
		{
			name: "parquet with every type",
			seed: adapter.Seed{Files: []string{parquetFile}, Format: "parquet"},
			wantCols: []string{"i1 smallint", "i2 smallint", "i4 integer", "i8 bigint", "u1 smallint", "u4 bigint", "u8 numeric",
				"f4 real", "f8 double precision", "d numeric(10,2)", "d38 numeric(38,9)", "s text", "b bytea",
				"dt date", "tm time without time zone", "ts timestamp without time zone", "tstz timestamp with time zone",
				"iv interval", "id uuid", "lst jsonb", "st jsonb", "mp jsonb", "js jsonb", "bo boolean", "nothing integer"},
			query: `select i1, i2, i4, i8, u1, u4, u8::text, f4, f8, d::text, d38::text, s, encode(b, 'hex'), dt, tm::text, ts, tstz,
				iv::text, id, lst::text, st::text, mp::text, js::text, bo, nothing from seeds.t`,
			wantRows: []string{strings.Join([]string{"1", "2", "3", "4", "200", "4000000000", "18446744073709551615",
				"1.5", "2.25", "123.45", "12345678901234567890.123456789", "text", "0102",
				"2024-02-29 00:00:00 +0000 UTC", "13:14:15.5", "2024-05-28 13:14:15.123456 +0000 UTC", "2024-05-28 11:14:15 +0000 UTC",
				"1 mon 2 days 03:00:00", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "[1, 2]", `{"a": 1, "b": "x"}`, `{"k": 1}`,
				`{"j": [1]}`, "true", "NULL"}, "|")},
		},
		{
			name:     "xlsx",
			seed:     adapter.Seed{Files: []string{xlsxFile}, Format: "xlsx"},
			wantCols: []string{"dept text", "budget double precision"},
			query:    `select * from seeds.t`,
			wantRows: []string{"dev|250.5", "ops|100"},
		},
		{
			name:     "combined folder",
			seed:     adapter.Seed{Files: []string{hour13, hour14}, Format: "json", SourceFileColumn: true},
			wantCols: []string{"q text", "_source_file text"},
			query:    `select * from seeds.t`,
			wantRows: []string{"again|seeds/chatbot/hour=14.json", "bye|seeds/chatbot/hour=14.json", "hi|seeds/chatbot/hour=13.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			s := tt.seed
			s.Relation, s.Root = rel("seeds", "t"), root
			// SeedColumns tells the table's columns without creating it.
			e.sent.Reset()
			described, err := e.a.SeedColumns(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range described {
				got = append(got, c.Name+" "+c.Type)
			}
			if !reflect.DeepEqual(got, tt.wantCols) {
				t.Errorf("SeedColumns:\n got %q\nwant %q", got, tt.wantCols)
			}
			if sent := e.sent.All(); len(sent) != 0 {
				t.Errorf("SeedColumns sent statements: %q", sent)
			}
			res, err := e.a.LoadSeed(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if got := columnsOfRel(t, e, s.Relation); !reflect.DeepEqual(got, tt.wantCols) {
				t.Errorf("columns:\n got %q\nwant %q", got, tt.wantCols)
			}
			e.wantRows(tt.query, tt.wantRows...)
			if res.RowsAffected != int64(len(tt.wantRows)) || !strings.HasPrefix(res.Message, "INSERT ") {
				t.Errorf("result %+v", res)
			}
			// Rows travel by COPY, never by INSERT.
			if len(e.sent.Matching(`copy "seeds"."t__ingot_tmp" (`)) != 1 || len(e.sent.Matching("INSERT")) != 0 {
				t.Errorf("statements sent: %q", e.sent.All())
			}
			if l := e.leftovers(); len(l) > 0 {
				t.Errorf("leftovers: %v", l)
			}
		})
	}
}

func TestLoadSeedReplaces(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	file := adaptertest.WriteFile(t, root, "seeds/s.csv", "a,b\n1,x\n")
	s := adapter.Seed{Relation: rel("seeds", "s"), Root: root, Files: []string{file}, Format: "csv"}
	if _, err := e.a.LoadSeed(ctx, s); err != nil {
		t.Fatal(err)
	}
	e.exec(`create view public.over_seed as select a from seeds.s`)

	// A malformed file names its line and leaves the old table.
	adaptertest.WriteFile(t, root, "seeds/s.csv", "a,b\n2,y\n3,z,extra\n")
	_, err := e.a.LoadSeed(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "seeds/s.csv:3") || !strings.HasPrefix(err.Error(), "seed seeds.s: ") {
		t.Errorf("err = %v, want the file and line", err)
	}
	e.wantRows(`select * from seeds.s`, "1|x")

	adaptertest.WriteFile(t, root, "seeds/s.csv", "a,b\n1,notanumber\n")
	if _, err := e.a.LoadSeed(ctx, adapter.Seed{Relation: s.Relation, Root: root, Files: s.Files, Format: "csv", ColumnTypes: map[string]string{"b": "integer"}}); err == nil {
		t.Errorf("bad column_types value loaded")
	}
	e.wantRows(`select * from seeds.s`, "1|x")

	// A good file replaces the table; the view on it survives.
	adaptertest.WriteFile(t, root, "seeds/s.csv", "a,b\n4,w\n5,v\n")
	if _, err := e.a.LoadSeed(ctx, s); err != nil {
		t.Fatal(err)
	}
	e.wantRows(`select * from public.over_seed`, "4", "5")
	if l := e.leftovers(); len(l) > 0 {
		t.Errorf("leftovers: %v", l)
	}
}

func TestMapDuckType(t *testing.T) {
	tests := []struct{ duck, pg string }{
		{"BOOLEAN", "boolean"}, {"DECIMAL(18,3)", "numeric(18,3)"}, {"VARCHAR", "text"},
		{"TIMESTAMP WITH TIME ZONE", "timestamptz"}, {"INTEGER[]", "jsonb"}, {"INTEGER[3]", "jsonb"},
		{"STRUCT(a INTEGER)", "jsonb"}, {"MAP(VARCHAR, INTEGER)", "jsonb"}, {"JSON", "jsonb"},
		{"ENUM('a', 'b')", "text"}, {"TIME WITH TIME ZONE", "text"}, {"BIT", "text"}, {"TIMESTAMP_NS", "timestamp"},
		{"UHUGEINT", "numeric"},
	}
	for _, tt := range tests {
		if got := mapDuckType("c", tt.duck).pgType; got != tt.pg {
			t.Errorf("%s → %s, want %s", tt.duck, got, tt.pg)
		}
	}
}
