package pgscript

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) {
	testscript.Main(withPostgres{m}, map[string]func(){
		"ingot": func() { os.Exit(cli.Main(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// withPostgres runs the tests with pgtest's server, which it stops when
// they are done; testscript.Main exits with the code Run returns.
type withPostgres struct{ m *testing.M }

func (w withPostgres) Run() int { return pgtest.Run(w.m.Run) }

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			db, drop, err := pgtest.CreateDatabase(context.Background(), filepath.Base(env.WorkDir))
			if errors.Is(err, pgtest.ErrNotInstalled) {
				env.T().Skip(err.Error())
			}
			if err != nil {
				return err
			}
			env.Defer(func() {
				if err := drop(); err != nil {
					env.T().Fatal(err)
				}
			})
			env.Setenv("NO_COLOR", "1")
			env.Setenv("PGHOST", db.Host)
			env.Setenv("PGPORT", fmt.Sprint(db.Port))
			env.Setenv("PGUSER", db.User)
			env.Setenv("PGPASSWORD", db.Password)
			env.Setenv("PGDATABASE", db.Name)
			return nil
		},
	})
}
