// Command seedload compares `ingot seed` of a large CSV file with DuckDB
// loading the same file by itself. For each size it generates a CSV of
// typed columns (integers, decimals, dates, timestamps, text with quoting)
// in a temporary directory, then runs, as child processes:
//
//	(a) the real ingot binary: `ingot seed` on a project whose seeds/ holds
//	    the file, into a fresh DuckDB database file;
//	(b) this program again, which runs
//	    CREATE TABLE t AS SELECT * FROM read_csv('file')
//	    through database/sql and github.com/duckdb/duckdb-go/v2 in a fresh
//	    database file.
//
// It prints both wall times and their ratio ingot/engine, and the peak
// resident memory of each child (from the kernel's rusage): ingot embeds
// the same engine, so ingot minus engine is ingot's own memory. Generated
// files are removed at the end. Run it from the repository root:
//
//	go run ./bench/seedload                     # 1 GB
//	go run ./bench/seedload -sizes 250MB,1GB    # does ingot's memory grow with the seed?
//	go run ./bench/seedload -sizes 20MB         # quick check
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
)

func main() {
	sizes := flag.String("sizes", "1GB", "comma-separated CSV sizes (KB, MB, GB are powers of 1024)")
	runs := flag.Int("runs", 1, "runs of each loader per size")
	parent := flag.String("dir", "", "where to make the temporary directory (default: the system's)")
	keep := flag.Bool("keep", false, "keep the generated files and print where they are")
	engineCSV := flag.String("engine-load", "", "internal: load this CSV with DuckDB alone and print the timing as JSON")
	engineDB := flag.String("engine-db", "", "internal: database file for -engine-load")
	bin := benchproc.BinFlag()
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *engineCSV != "" {
		err = engineLoad(ctx, *engineCSV, *engineDB)
	} else {
		err = run(ctx, *sizes, *runs, *parent, *keep, *bin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/seedload:", err)
		os.Exit(1)
	}
}

// engineTiming is what the -engine-load child reports.
type engineTiming struct {
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"` // the CREATE TABLE statement alone
}

// engineLoad is the engine-only loader, run as a child process so its
// memory is measured apart from this program's.
func engineLoad(ctx context.Context, csvPath, dbPath string) error {
	if dbPath == "" {
		return errors.New("-engine-load needs -engine-db")
	}
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t AS SELECT * FROM read_csv("+literal(csvPath)+")"); err != nil {
		return fmt.Errorf("loading %s: %w", csvPath, err)
	}
	elapsed := time.Since(start)
	var rows int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&rows); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(engineTiming{Rows: rows, Seconds: elapsed.Seconds()})
}

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type measurement struct {
	size         int64
	rows         int64
	ingot, eng   benchproc.Durations // process wall times
	ingotNode    benchproc.Durations // the seed's execution_time in run_results.json
	engStmt      benchproc.Durations // the CREATE TABLE statement alone
	ingotRSS     int64
	engRSS       int64
	generateTime time.Duration
}

func run(ctx context.Context, sizesFlag string, runs int, parent string, keep bool, bin string) error {
	sizes, err := parseSizes(sizesFlag)
	if err != nil {
		return err
	}
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, cleanup, err := benchproc.WorkDir(parent, "seedload", keep)
	if err != nil {
		return err
	}
	defer cleanup()
	exe, err := benchproc.Binary(ctx, bin, tmp)
	if err != nil {
		return err
	}
	var all []measurement
	for _, size := range sizes {
		m, err := measure(ctx, tmp, exe, self, size, runs, keep)
		if err != nil {
			return err
		}
		all = append(all, m)
	}
	fmt.Printf("\n%-9s %11s %10s %10s %7s %10s %10s %7s %12s %12s %12s\n",
		"csv", "rows", "ingot", "engine", "ratio", "ingot node", "engine sql", "ratio", "ingot RSS", "engine RSS", "difference")
	for _, m := range all {
		fmt.Printf("%-9s %11d %10s %10s %7.2f %10s %10s %7.2f %12s %12s %12s\n",
			benchproc.MB(m.size), m.rows,
			benchproc.Secs(m.ingot.Median()), benchproc.Secs(m.eng.Median()), ratio(m.ingot.Median(), m.eng.Median()),
			benchproc.Secs(m.ingotNode.Median()), benchproc.Secs(m.engStmt.Median()), ratio(m.ingotNode.Median(), m.engStmt.Median()),
			benchproc.MB(m.ingotRSS), benchproc.MB(m.engRSS), rssDiff(m.ingotRSS, m.engRSS))
	}
	fmt.Println("\ningot and engine: wall time of each child process (median of runs); node: the seed's")
	fmt.Println("execution_time in run_results.json; engine sql: the CREATE TABLE statement alone.")
	return nil
}

// rssDiff is ingot's peak memory beyond the engine's.
func rssDiff(ingot, engine int64) string {
	if ingot < 0 || engine < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f MB", float64(ingot-engine)/(1<<20))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// measure generates one CSV and loads it with both loaders, alternating.
func measure(ctx context.Context, tmp, exe, self string, size int64, runs int, keep bool) (measurement, error) {
	m := measurement{size: size}
	project := filepath.Join(tmp, fmt.Sprintf("project-%d", size))
	csvPath := filepath.Join(project, "seeds", "big.csv")
	if !keep {
		defer os.RemoveAll(project)
	}
	if err := writeProject(project); err != nil {
		return m, err
	}
	start := time.Now()
	written, rows, err := generateCSV(ctx, csvPath, size)
	if err != nil {
		return m, err
	}
	m.generateTime = time.Since(start)
	fmt.Printf("\n%s CSV, %d rows, generated in %s\n", benchproc.MB(written), rows, benchproc.Secs(m.generateTime))
	engDB := filepath.Join(tmp, fmt.Sprintf("engine-%d.duckdb", size))
	defer removeDB(engDB)
	for i := range runs {
		// Engine alone.
		if err := removeDB(engDB); err != nil {
			return m, err
		}
		r, err := benchproc.Run(ctx, tmp, self, "-engine-load", csvPath, "-engine-db", engDB)
		if err != nil {
			return m, err
		}
		var et engineTiming
		if err := json.Unmarshal(r.Stdout, &et); err != nil {
			return m, fmt.Errorf("engine child output %q: %w", r.Stdout, err)
		}
		if et.Rows != rows {
			return m, fmt.Errorf("engine loaded %d rows, the file has %d", et.Rows, rows)
		}
		m.eng = append(m.eng, r.Wall)
		m.engStmt = append(m.engStmt, time.Duration(et.Seconds*float64(time.Second)))
		m.engRSS = max(m.engRSS, r.MaxRSS)
		fmt.Printf("  run %d engine: wall %s (CREATE TABLE %s), peak RSS %s\n", i+1, benchproc.Secs(r.Wall), benchproc.Secs(m.engStmt[i]), benchproc.MB(r.MaxRSS))

		// ingot seed into a fresh database.
		if err := removeDB(filepath.Join(project, "ingot.duckdb")); err != nil {
			return m, err
		}
		if err := os.RemoveAll(filepath.Join(project, "target")); err != nil {
			return m, err
		}
		r, err = benchproc.Run(ctx, project, exe, "seed")
		if err != nil {
			return m, err
		}
		node, seedRows, err := seedResult(filepath.Join(project, "target", "run_results.json"))
		if err != nil {
			return m, err
		}
		if seedRows != rows {
			return m, fmt.Errorf("ingot loaded %d rows, the file has %d", seedRows, rows)
		}
		m.ingot = append(m.ingot, r.Wall)
		m.ingotNode = append(m.ingotNode, node)
		m.ingotRSS = max(m.ingotRSS, r.MaxRSS)
		fmt.Printf("  run %d ingot:  wall %s (seed node %s), peak RSS %s\n", i+1, benchproc.Secs(r.Wall), benchproc.Secs(node), benchproc.MB(r.MaxRSS))
	}
	m.size, m.rows = written, rows
	return m, nil
}

func removeDB(path string) error {
	for _, p := range []string{path, path + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func writeProject(dir string) error {
	files := map[string]string{
		"project.yml":  "name: seedload\nprofile: default\n",
		"profiles.yml": "default:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ingot.duckdb\n      threads: 1\n",
	}
	for rel, content := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "seeds"), 0o755)
}

// seedResult reads the seed's execution time and row count.
func seedResult(path string) (time.Duration, int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var doc struct {
		Results []struct {
			Status          string  `json:"status"`
			ExecutionTime   float64 `json:"execution_time"`
			AdapterResponse struct {
				Rows int64 `json:"rows_affected"`
			} `json:"adapter_response"`
			Message string `json:"message"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Results) != 1 {
		return 0, 0, fmt.Errorf("%s: %d results, want 1", path, len(doc.Results))
	}
	r := doc.Results[0]
	if r.Status != "success" {
		return 0, 0, fmt.Errorf("seed %s: %s", r.Status, r.Message)
	}
	return time.Duration(r.ExecutionTime * float64(time.Second)), r.AdapterResponse.Rows, nil
}

// generateCSV writes rows until the file reaches size bytes; it returns
// the bytes and rows written.
func generateCSV(ctx context.Context, path string, size int64) (int64, int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	const header = "id,customer_id,quantity,unit_price,amount,order_date,created_at,status,customer_name,note\n"
	w.WriteString(header)
	written := int64(len(header))
	rnd := rand.New(rand.NewPCG(1, 2))
	days := dayStrings(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), 1096)
	statuses := []string{"pending", "paid", "shipped", "delivered", "cancelled", "returned"}
	var rows int64
	buf := make([]byte, 0, 256)
	for written < size {
		if rows%100_000 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
		}
		rows++
		customer := 1 + rnd.IntN(1_000_000)
		qty := 1 + rnd.IntN(100)
		priceCents := 100 + rnd.IntN(99_900)
		day := rnd.IntN(len(days))
		secs := rnd.IntN(86400)
		b := buf[:0]
		b = strconv.AppendInt(b, rows, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(customer), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(qty), 10)
		b = append(b, ',')
		b = appendCents(b, int64(priceCents))
		b = append(b, ',')
		b = appendCents(b, int64(priceCents*qty))
		b = append(b, ',')
		b = append(b, days[day]...)
		b = append(b, ',')
		b = append(b, days[day]...)
		b = append(b, ' ')
		b = append2(b, secs/3600)
		b = append(b, ':')
		b = append2(b, secs/60%60)
		b = append(b, ':')
		b = append2(b, secs%60)
		b = append(b, ',')
		b = append(b, statuses[rnd.IntN(len(statuses))]...)
		b = append(b, ",Customer "...)
		b = strconv.AppendInt(b, int64(customer), 10)
		b = append(b, ',')
		switch rnd.IntN(10) {
		case 0: // quoted, with the delimiter and a doubled quote inside
			b = append(b, `"late, said ""call first"" #`...)
			b = strconv.AppendInt(b, int64(rnd.IntN(1000)), 10)
			b = append(b, '"')
		case 1, 2:
			b = append(b, "gift wrap"...)
		default: // empty: NULL
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return 0, 0, err
		}
		written += int64(len(b))
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	return written, rows, f.Close()
}

func appendCents(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	return append2(b, int(cents%100))
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func dayStrings(from time.Time, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = from.AddDate(0, 0, i).Format("2006-01-02")
	}
	return out
}

func parseSizes(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.ToUpper(strings.TrimSpace(f))
		mult := int64(1)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
			if strings.HasSuffix(f, u.suffix) {
				f, mult = strings.TrimSuffix(f, u.suffix), u.mult
				break
			}
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a size like 250MB or 1GB", f)
		}
		out = append(out, int64(v*float64(mult)))
	}
	return out, nil
}
