package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/check"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
)

func (e *env) checkCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "check",
		Usage:     "bind every selected model's SQL against empty tables shaped like its parents, in an in-memory DuckDB: unknown columns, type errors and broken contracts, with no warehouse",
		ArgsUsage: " ",
		Flags:     commandFlags(selectFlags()...),
		Action: func(c *ucli.Context) error {
			s, err := e.load(c)
			if err != nil {
				return err
			}
			ids, err := e.selection(c, s, []string{compile.KindModel, compile.KindSnapshot})
			if err != nil {
				return err
			}
			return e.check(c, s, ids)
		},
	}
}

// checkFlag is compile's --check.
func checkFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: "check", Usage: "after compiling, check the models as ingot check does"}
}

// check runs the check of ids, prints problems (stderr) and notes and the
// summary (stdout), and fails with exit 1 when there are problems.
func (e *env) check(c *ucli.Context, s *session, ids []string) error {
	wh := &lazyWarehouse{s: s}
	defer wh.close()
	start := time.Now()
	rep, err := check.Run(c.Context, s.manifest, ids, check.Options{Warehouse: wh})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	models := rep.Checked[compile.KindModel] + rep.Checked[compile.KindSnapshot]
	if e.json {
		for _, n := range rep.Sorted() {
			b, _ := json.Marshal(map[string]any{"event": "check_note", "unique_id": n.ID, "file": n.File, "message": n.Msg})
			fmt.Fprintln(e.stdout, string(b))
		}
		for _, p := range rep.Problems {
			j := map[string]any{"event": "check_problem", "message": p.Error()}
			if d, ok := p.(*diag.Error); ok {
				j["file"], j["line"], j["message"] = d.File, d.Line, d.Msg
			}
			b, _ := json.Marshal(j)
			fmt.Fprintln(e.stdout, string(b))
		}
		b, _ := json.Marshal(map[string]any{"event": "check_done", "checked": rep.Checked, "skipped": rep.Skipped,
			"problems": len(rep.Problems), "elapsed": elapsed.Seconds()})
		fmt.Fprintln(e.stdout, string(b))
	} else {
		for _, n := range rep.Sorted() {
			msg := n.Msg
			if n.File != "" {
				msg = n.File + ": " + msg
			}
			fmt.Fprintf(e.stdout, "%s %s\n", e.paint(yellow, "note:"), msg)
		}
		if len(rep.Problems) > 0 {
			e.printErr(rep.Problems)
		}
		summary := fmt.Sprintf("Checked %d model%s, %d seed%s and %d source%s in %.2fs: %d problem%s",
			models, plural(models), rep.Checked[compile.KindSeed], plural(rep.Checked[compile.KindSeed]),
			rep.Checked[compile.KindSource], plural(rep.Checked[compile.KindSource]), elapsed.Seconds(),
			len(rep.Problems), plural(len(rep.Problems)))
		if rep.Skipped > 0 {
			summary += fmt.Sprintf(", %d model%s not checked", rep.Skipped, plural(rep.Skipped))
		}
		paint := green
		if len(rep.Problems) > 0 {
			paint = red
		}
		fmt.Fprintln(e.stdout, e.paint(paint, summary))
	}
	if len(rep.Problems) > 0 {
		return &exitError{code: ExitFailure}
	}
	return nil
}

// lazyWarehouse opens the target only when the check asks for a source's
// columns, and never creates a warehouse that is not there yet.
type lazyWarehouse struct {
	s    *session
	once sync.Once
	a    adapter.Adapter
	err  error
}

func (w *lazyWarehouse) Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	w.once.Do(func() {
		if lf, ok := w.s.target.Options.(adapter.LocalFiles); ok {
			if files := lf.WarehouseFiles(); len(files) > 0 {
				if _, err := os.Stat(files[0]); err != nil {
					w.err = fmt.Errorf("the target %s has not been built yet", w.s.target.Name)
					return
				}
			}
		}
		// A warehouse that does not answer soon is as good as none here.
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		w.a, w.err = w.s.engine.Open(octx, w.s.target)
	})
	if w.err != nil {
		return adapter.KindNone, nil, w.err
	}
	return w.a.Describe(ctx, r)
}

func (w *lazyWarehouse) close() {
	if w.a != nil {
		w.a.Close()
	}
}
