package adaptertest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// RunSeeds checks plain seed loads of every format: rows, messages,
// SeedColumns telling the loaded table's columns, column_types, and a
// malformed file that keeps the old table.
func RunSeeds(t *testing.T, o Opener) {
	d := o.Dialect.Seeds
	root := t.TempDir()
	a := o.Open(t, nil)
	ctx := context.Background()

	good := WriteFile(t, root, "seeds/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,,2024-05-29\n")
	bad := WriteFile(t, root, "seeds/bad/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,3\n")
	jsonArr := WriteFile(t, root, "seeds/arr.json", `[{"a": 1}, {"a": 2}]`)
	jsonLines := WriteFile(t, root, "seeds/lines.json", "{\"a\": 3}\n{\"a\": 4}\n")
	h13 := WriteFile(t, root, "seeds/chatbot/hour=13.json", `[{"msg": "hi"}]`)
	h14 := WriteFile(t, root, "seeds/chatbot/hour=14.json", `[{"msg": "yo"}, {"msg": "ok"}]`)
	pq := filepath.Join(root, "seeds", "p.parquet")
	d.WriteParquet(t, a, "SELECT range AS id, 'p' || range AS name FROM range(3)", pq)
	xl := filepath.Join(root, "seeds", "book.xlsx")
	f := excelize.NewFile()
	for i, row := range [][]any{{"k", "amount"}, {"a", 1.5}, {"b", nil}, {"c", 3}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(xl); err != nil {
		t.Fatal(err)
	}
	f.Close()

	seed := func(name, format string, files ...string) adapter.Seed {
		return adapter.Seed{Relation: rel("seeds", name), Root: root, Files: files, Format: format}
	}
	tests := []struct {
		name     string
		seed     adapter.Seed
		wantErr  string
		query    string
		rows     []string
		msg      string
		wantCols []string
	}{
		{name: "csv", seed: seed("invoices", "csv", good), query: "SELECT id, amount, CAST(day AS VARCHAR) FROM seeds.invoices",
			rows: []string{"1|10.5|2024-05-28", "2|NULL|2024-05-29"}, msg: "INSERT 2"},
		{name: "csv column_types", seed: func() adapter.Seed {
			s := seed("invoices", "csv", good)
			s.ColumnTypes = map[string]string{"amount": "decimal(12,2)"}
			return s
		}(), query: "SELECT CAST(amount AS VARCHAR) FROM seeds.invoices", rows: []string{"10.50", "NULL"},
			wantCols: []string{"id " + d.BigInt, "amount " + d.Decimal12_2, "day " + d.Date}},
		{name: "malformed csv keeps the old table", seed: seed("invoices", "csv", bad),
			wantErr: `seed seeds.invoices: seeds/bad/invoices.csv:3: expected 3 fields, found 2: "2,3"`,
			query:   "SELECT count(*) FROM seeds.invoices", rows: []string{"2"}},
		{name: "json array", seed: seed("arr", "json", jsonArr), query: "SELECT * FROM seeds.arr", rows: []string{"1", "2"}},
		{name: "json lines", seed: seed("lines", "json", jsonLines), query: "SELECT * FROM seeds.lines", rows: []string{"3", "4"}, msg: "INSERT 2"},
		{name: "parquet", seed: seed("p", "parquet", pq), query: "SELECT * FROM seeds.p", rows: []string{"0|p0", "1|p1", "2|p2"}, msg: "INSERT 3"},
		{name: "xlsx", seed: seed("book", "xlsx", xl), query: "SELECT * FROM seeds.book", rows: []string{"a|1.5", "b|NULL", "c|3"},
			wantCols: []string{"k " + d.Text, "amount " + d.Double}},
		{name: "combined with _source_file", seed: func() adapter.Seed {
			s := seed("chatbot", "json", h13, h14)
			s.SourceFileColumn = true
			return s
		}(), query: "SELECT msg, _source_file FROM seeds.chatbot",
			rows: []string{"hi|seeds/chatbot/hour=13.json", "ok|seeds/chatbot/hour=14.json", "yo|seeds/chatbot/hour=14.json"}, msg: "INSERT 3",
			wantCols: []string{"msg " + d.Text, "_source_file " + d.Text}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := a.LoadSeed(ctx, tt.seed)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.msg != "" && res.Message != tt.msg {
				t.Errorf("message %q, want %q", res.Message, tt.msg)
			}
			if tt.wantErr == "" {
				if res.RowsAffected != int64(len(tt.rows)) {
					t.Errorf("rows affected %d, want %d", res.RowsAffected, len(tt.rows))
				}
				// SeedColumns describes the files as LoadSeed typed them.
				_, loaded, err := a.Describe(ctx, tt.seed.Relation)
				if err != nil {
					t.Fatal(err)
				}
				described, err := a.SeedColumns(ctx, tt.seed)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(described) != fmt.Sprint(loaded) || len(loaded) == 0 {
					t.Errorf("SeedColumns %v, loaded table %v", described, loaded)
				}
				if tt.wantCols != nil && strings.Join(columnNames(loaded), ",") != strings.Join(tt.wantCols, ",") {
					t.Errorf("columns %q, want %q", columnNames(loaded), tt.wantCols)
				}
			}
			wantRows(t, a, tt.query, tt.rows...)
			noLeftovers(t, o, a, "")
		})
	}
}
