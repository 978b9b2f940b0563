package pgcli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

// TestScriptEngines runs the scripts in testdata/script once per engine:
// the same commands and expected output on DuckDB and on PostgreSQL. Each
// run writes profiles.yml and copies in the example files a script uses.
func TestScriptEngines(t *testing.T) {
	for _, engine := range []string{"duckdb", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			profile := "{type: duckdb, path: warehouse.duckdb}"
			if engine == "postgres" {
				db := pgtest.New(t)
				profile = fmt.Sprintf("{type: postgres, host: '%s', port: %d, user: '%s', password: '%s', dbname: '%s', sslmode: disable}",
					db.Host, db.Port, db.User, db.Password, db.Name)
			}
			testscript.Run(t, testscript.Params{
				Dir: "testdata/script",
				Setup: func(env *testscript.Env) error {
					env.Setenv("NO_COLOR", "1")
					files := map[string]string{"profiles.yml": "default:\n  target: dev\n  outputs:\n    dev: " + profile + "\n"}
					for _, example := range []string{"models/gold/chatbot_sessions.sql", "macros/cross_db.sql"} {
						src, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(example)))
						if err != nil {
							return err
						}
						files[example] = string(src)
					}
					for name, text := range files {
						p := filepath.Join(env.WorkDir, filepath.FromSlash(name))
						if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
							return err
						}
						if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
							return err
						}
					}
					return nil
				},
				Cmds: map[string]func(*testscript.TestScript, bool, []string){"ingot": cmdIngot},
			})
		})
	}
}

// cmdIngot runs ingot in the test process on the script's work directory:
//
//	ingot run -s x
//	! ingot test
func cmdIngot(ts *testscript.TestScript, neg bool, args []string) {
	argv := append([]string{"ingot", "--project-dir", ts.MkAbs("."), "--no-color"}, args...)
	code := cli.Main(context.Background(), argv, nil, ts.Stdout(), ts.Stderr())
	switch {
	case neg && code == 0:
		ts.Fatalf("ingot %v succeeded, want a failure", args)
	case !neg && code != 0:
		ts.Fatalf("ingot %v: exit %d", args, code)
	}
}
