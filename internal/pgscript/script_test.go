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
	os.Exit(pgtest.Run(func() int {
		return testscript.RunMain(m, map[string]func() int{
			"ingot": func() int { return cli.Main(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr) },
		})
	}))
}

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
