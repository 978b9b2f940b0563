package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabase(t *testing.T) {
	ctx := context.Background()
	var names []string
	for i := range 2 {
		t.Run(fmt.Sprint("db", i), func(t *testing.T) {
			db := New(t)
			if db.Password == "" {
				t.Errorf("DSN has no password")
			}
			conn, err := pgx.Connect(ctx, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var got string
			if err := conn.QueryRow(ctx, "select current_database()").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != db.Name {
				t.Errorf("connected to %q, want %q", got, db.Name)
			}
			if _, err := conn.Exec(ctx, "create table t (x int)"); err != nil {
				t.Fatal(err)
			}
			names = append(names, db.Name)
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %q: want two distinct ones", names)
	}

	// Both databases are gone once their tests finished.
	conn, err := pgx.Connect(ctx, NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, "select count(*) from pg_database where datname = any($1)", names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d test databases left after cleanup", left)
	}
}

func TestPasswordRequired(t *testing.T) {
	db := New(t)
	cfg, err := pgx.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "not-" + db.Password
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err == nil {
		conn.Close(context.Background())
		t.Fatal("connecting with a wrong password succeeded")
	}
}

func TestDropWithOpenConnection(t *testing.T) {
	// A test that forgets to close its connection must not break cleanup.
	t.Run("leaky", func(t *testing.T) {
		if _, err := pgx.Connect(context.Background(), NewDatabase(t)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	mk("lib/9.6/bin", "initdb", "pg_ctl")
	v16 := mk("lib/16/bin", "initdb", "pg_ctl")
	mk("lib/17/bin", "initdb") // no pg_ctl: unusable
	mk("lib/15/bin", "initdb", "pg_ctl")
	inPath := mk("path", "initdb", "pg_ctl")
	empty := mk("empty")
	glob := filepath.Join(root, "lib", "*", "bin")

	tests := []struct {
		name, path, glob, want string
	}{
		{"path first", empty + string(os.PathListSeparator) + inPath, glob, inPath},
		{"newest version dir", empty, glob, v16},
		{"none", empty, filepath.Join(root, "nothing", "*"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := findBinaries(tt.path, tt.glob)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "not installed") {
					t.Fatalf("err = %v, want a not-installed error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := binaries{filepath.Join(tt.want, "initdb"), filepath.Join(tt.want, "pg_ctl")}
			if b != want {
				t.Errorf("got %+v, want %+v", b, want)
			}
		})
	}
}

func TestNewestFirst(t *testing.T) {
	got := newestFirst([]string{"/x/9.6/bin", "/x/15/bin", "/x/10/bin", "/x/dev/bin", "/x/9.6.1/bin"})
	want := []string{"/x/15/bin", "/x/10/bin", "/x/9.6.1/bin", "/x/9.6/bin", "/x/dev/bin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"host=/tmp port=5 user=u password='p w' dbname=postgres", "host=/tmp port=5 user=u password='p w' dbname=postgres dbname='x'"},
		{"postgres://u:p%40ss@h:5/postgres?sslmode=disable", "postgres://u:p%40ss@h:5/x?sslmode=disable"},
		{"postgresql://h", "postgresql://h/x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.dsn, "x")
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database != "x" {
			t.Errorf("%q connects to %q", got, cfg.Database)
		}
	}
}

func TestDatabaseName(t *testing.T) {
	a, b := databaseName("TestX/sub case"), databaseName("TestX/sub case")
	if a == b {
		t.Errorf("names repeat: %q", a)
	}
	if !strings.HasPrefix(a, "ingot_testx_sub_case_") {
		t.Errorf("name %q does not show the test", a)
	}
	if long := databaseName(strings.Repeat("x", 200)); len(long) > 63 {
		t.Errorf("name %q longer than PostgreSQL's 63 bytes", long)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		ci, skip bool
		wantSkip bool
		want     string
	}{
		{"not installed", false, true, true, "PostgreSQL is not available: boom (install PostgreSQL or set INGOT_TEST_PG_DSN)"},
		{"not installed under CI", true, true, false, "boom; CI=true, so PostgreSQL tests must run"},
		{"broken server", false, false, false, "boom"},
		{"broken server under CI", true, false, false, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := unavailable(tt.ci, tt.skip, errors.New("boom"))
			if errors.Is(err, ErrNotInstalled) != tt.wantSkip || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %v (skip %v), want %q (skip %v)", err, errors.Is(err, ErrNotInstalled), tt.want, tt.wantSkip)
			}
		})
	}
}

func TestCreateDatabase(t *testing.T) {
	ctx := context.Background()
	db, drop, err := CreateDatabase(ctx, "no TB")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(db.Name, "ingot_no_tb_") {
		t.Errorf("name %q", db.Name)
	}
	conn, err := pgx.Connect(ctx, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, db.DSN); err == nil {
		t.Errorf("database still there after drop")
	}
}

func TestIsCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "": false, "false": false, "yes": false} {
		if got := isCI(v); got != want {
			t.Errorf("isCI(%q) = %v", v, want)
		}
	}
}

func TestReapStale(t *testing.T) {
	bin, err := findBinaries(os.Getenv("PATH"), defaultGlob)
	if err != nil {
		t.Skip(err)
	}
	tmp := t.TempDir()
	if os.Geteuid() == 0 {
		// The server runs as postgres, which must reach the directory.
		for d := tmp; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := startCluster(bin, tmp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.stop() })
	live := filepath.Join(tmp, clusterPrefix+"live")
	if err := os.MkdirAll(live, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(live, ownerFile), []byte(fmt.Sprint(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}

	// The test binary that started c "dies": a process that has exited.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(fmt.Sprint(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	reapStale(bin, tmp)
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("stale cluster directory left: %v", err)
	}
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, c.adminDSN()); err == nil {
		conn.Close(ctx)
		t.Errorf("stale cluster still running")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("cluster of a live test binary reaped: %v", err)
	}
}

func TestStartServerChoice(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	nowhere := filepath.Join(t.TempDir(), "*", "bin")

	srv, skip, err := startServer(env(map[string]string{"PATH": t.TempDir()}), nowhere)
	if srv != nil || !skip || err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("without PostgreSQL: %v %v %v, want a skip", srv, skip, err)
	}
	srv, skip, err = startServer(env(map[string]string{EnvDSN: "postgres://u:pw@h/d"}), nowhere)
	if _, ok := srv.(external); !ok || skip || err != nil || srv.adminDSN() != "postgres://u:pw@h/d" {
		t.Errorf("with %s: %v %v %v", EnvDSN, srv, skip, err)
	}
	_, skip, err = startServer(env(map[string]string{EnvDSN: "postgres://u:secret@h:port/d"}), nowhere)
	if skip || err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("invalid %s: %v %v", EnvDSN, skip, err)
	}
}
