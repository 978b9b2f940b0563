// Package pgcli_test runs the CLI end to end against a real PostgreSQL
// server: redaction of passwords, the run lock, and a small build.
package pgcli_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// project writes a tiny project whose pg output points at db (with the
// given password).
func project(t *testing.T, db *pgtest.Database, password string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"project.yml": "name: p\nmodels:\n  gold: {materialized: table}\n",
		"profiles.yml": fmt.Sprintf(`default:
  target: pg
  outputs:
    pg:
      type: postgres
      host: '%s'
      port: %d
      user: '%s'
      password: '{{ env_var "TEST_PG_PASSWORD" "%s" }}'
      dbname: '%s'
      sslmode: disable
      connect_timeout: 5
`, db.Host, db.Port, db.User, password, db.Name),
		"seeds/nums.csv":      "n,label\n1,one\n2,two\n",
		"models/silver/a.sql": `select n, label from {{ ref "nums" }}`,
		"models/gold/b.sql":   `{{ config "materialized" "incremental" "unique_key" "n" }}select n, upper(label) as label from {{ ref "a" }}`,
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ingot(ctx context.Context, dir string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(ctx, append([]string{"ingot", "--project-dir", dir, "--no-color"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

// grepTree reports files under dir containing s.
func grepTree(t *testing.T, dir, s string) []string {
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(s)) && filepath.Base(p) != "profiles.yml" {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

func TestPasswordNeverShown(t *testing.T) {
	db := pgtest.New(t)
	dir := project(t, db, db.Password)
	ctx := context.Background()

	code, out, errOut := ingot(ctx, dir, "debug")
	if code != 0 {
		t.Fatalf("debug: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"type: postgres", "password: ****", "engine: postgres", "pg_duckdb", "connection: OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = ingot(ctx, dir, "build", "--log-format", "json")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	code, out2, errOut2 := ingot(ctx, dir, "run")
	if code != 0 {
		t.Fatalf("second run (incremental): exit %d\n%s%s", code, out2, errOut2)
	}
	all := out + errOut + out2 + errOut2
	if strings.Contains(all, db.Password) {
		t.Errorf("password printed:\n%s", all)
	}
	if hits := grepTree(t, filepath.Join(dir, "target"), db.Password); len(hits) > 0 {
		t.Errorf("password written to %v", hits)
	}

	// A wrong password fails clearly without echoing either password.
	t.Setenv("TEST_PG_PASSWORD", "wrong-"+db.Password)
	code, out, errOut = ingot(ctx, dir, "run")
	if code == 0 {
		t.Fatal("run with a wrong password succeeded")
	}
	if strings.Contains(out+errOut, db.Password) {
		t.Errorf("password printed on failure:\n%s%s", out, errOut)
	}
	if !strings.Contains(errOut, "password authentication failed") {
		t.Errorf("failure does not say why:\n%s", errOut)
	}
}

func TestRunLockWaitsThenGivesUp(t *testing.T) {
	db := pgtest.New(t)
	dir := project(t, db, db.Password)
	ctx := context.Background()
	holder, err := postgres.Open(ctx, adapter.Target{Type: "postgres", Options: postgres.Options{DSN: db.DSN, PgDuckdb: "off"}})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	release, err := holder.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, _, errOut := ingot(ctx, dir, "run", "--lock-timeout", "1s")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"another ingot run holds the lock on this target; waiting up to 1s", "gave up after 1s"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if time.Since(start) < time.Second {
		t.Error("did not wait for the lock")
	}
	// Once released, the next run goes through.
	release()
	if code, out, errOut := ingot(ctx, dir, "build"); code != 0 {
		t.Fatalf("build after release: exit %d\n%s%s", code, out, errOut)
	}
}
