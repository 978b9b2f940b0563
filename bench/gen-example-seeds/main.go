// Command gen-example-seeds writes the example project's binary seed files
// (xlsx and parquet), whose rows are listed below so they can be read and
// checked by hand. Run it from the repository root:
//
//	go run ./bench/gen-example-seeds
//
// The CSV and JSON seeds are plain text and are edited directly.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/xuri/excelize/v2"
)

// send is one row of the CRM and Recomendacao inputs.
type send struct {
	idCliente, email, telefone, assunto string
	dataEnvio                           string // YYYY-MM-DD
}

// The example load date is 2024-05-28; comments give the expected outcome.
var crmCampaigns = []send{
	{"C001", "ana.souza@example.com", "(11) 91234-0001", "Campanha Dia das Maes", "2024-05-28"}, // qtd_dias 0: in
	{"C002", "bruno@example.com", "(11) 91234-0002", "Upgrade de plano", "2024-04-28"},          // 30 = the channel's days: in, leaves 2024-05-28
	{"C003", "Carla@Example.com", "(11) 91234-0003", "Upgrade de plano", "2024-04-27"},          // 31: out
	{"C004", "daniel@example.com", "(11) 91234-0004", "Lancamento", "2024-05-29"},               // after data_carga: left out
	{" C005 ", "elisa@example.com", "(11) 91234-0005", "Campanha A", "2024-05-10"},              // older send of C005
	{"C005", "elisa@example.com", "(11) 91234-0005", "Campanha B", "2024-05-20"},                // most recent send wins
	{"C006", "fabio@example.com", "(11) 91234-0006", "Pesquisa de satisfacao", "2024-05-20"},    // in
	{"C006", "fabio@example.com", "(11) 91234-0006", "Pre-venda", "2024-05-30"},                 // future send does not win
}

var recommendations = []send{
	{"C001", "ana.souza@example.com", "11912340001", "Produtos para voce", "2024-05-13"}, // 15 = the channel's days: in
	{"C010", "helena@example.com", "11912340010", "Produtos para voce", "2024-05-12"},    // 16: out
	{"C011", "igor@example.com", "11933330011", "Vistos recentemente", "2024-05-28"},     // 0: in
}

type fraud struct {
	idCliente, email, telefone string
	dataRegistro, dataExclusao string // dataExclusao "" = null (still active)
}

var fraudSuspects = []fraud{
	{"C016", "otavio@example.com", "+55 41 97777-0016", "2024-01-10", ""},           // active: in
	{"C017", "paula@example.com", "+55 41 97777-0017", "2024-03-01", "2024-05-28"},  // excluded on data_carga: out
	{"C018", "quenia@example.com", "+55 41 97777-0018", "2024-03-01", "2024-05-29"}, // excluded after data_carga: in
	{"C018", "quenia@example.com", "+55 41 97777-0018", "2023-01-01", ""},           // older registration of C018
	{"C019", "renato@example.com", "+55 41 97777-0019", "2024-05-29", ""},           // registered after data_carga: out
	{"C020", "silvia@example.com", "+55 41 97777-0020", "2024-04-01", "2024-04-15"}, // excluded long ago: out
}

func main() {
	root := flag.String("root", ".", "repository root (seeds/ is written below it)")
	flag.Parse()
	if err := run(context.Background(), *root); err != nil {
		fmt.Fprintln(os.Stderr, "gen-example-seeds:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, root string) error {
	dir := filepath.Join(root, "seeds", "quarantine")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeXLSX(filepath.Join(dir, "crm_campaigns.xlsx")); err != nil {
		return fmt.Errorf("crm_campaigns.xlsx: %w", err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []string
	for _, s := range recommendations {
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s, DATE %s)", lit(s.idCliente), lit(s.email), lit(s.telefone), lit(s.assunto), lit(s.dataEnvio)))
	}
	q := "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") t(id_cliente, email, telefone, assunto, data_envio)"
	if err := writeParquet(ctx, db, q, filepath.Join(dir, "recommendations.parquet")); err != nil {
		return fmt.Errorf("recommendations.parquet: %w", err)
	}
	rows = rows[:0]
	for _, f := range fraudSuspects {
		excl := "CAST(NULL AS DATE)"
		if f.dataExclusao != "" {
			excl = "DATE " + lit(f.dataExclusao)
		}
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, DATE %s, %s)", lit(f.idCliente), lit(f.email), lit(f.telefone), lit(f.dataRegistro), excl))
	}
	q = "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") t(id_cliente, email, telefone, data_registro, data_exclusao)"
	if err := writeParquet(ctx, db, q, filepath.Join(dir, "fraud_suspects.parquet")); err != nil {
		return fmt.Errorf("fraud_suspects.parquet: %w", err)
	}
	return nil
}

// writeXLSX writes the CRM export as the CRM tool does: a named first sheet
// and real date cells shown as yyyy-mm-dd.
func writeXLSX(path string) (err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	const sheet = "Campanhas"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd"
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	header := []any{"id_cliente", "email", "telefone", "assunto", "data_envio"}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	for i, s := range crmCampaigns {
		d, err := time.Parse(time.DateOnly, s.dataEnvio)
		if err != nil {
			return err
		}
		row := []any{s.idCliente, s.email, s.telefone, s.assunto, d}
		cell := fmt.Sprintf("A%d", i+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("E%d", i+2), fmt.Sprintf("E%d", i+2), style); err != nil {
			return err
		}
	}
	// Written through WriteTo so the file gets ordinary permissions
	// (SaveAs creates it executable).
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func writeParquet(ctx context.Context, db *sql.DB, query, path string) error {
	_, err := db.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", query, lit(path)))
	return err
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
