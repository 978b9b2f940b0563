// Package pgtest gives tests a fresh PostgreSQL database each.
//
// A test binary that uses it declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// (or wraps its own runner with pgtest.Run), and each test asks for its own
// database:
//
//	dsn := pgtest.NewDatabase(t) // or db := pgtest.New(t) for the parts
//
// Code without a testing.TB (a testscript Setup) uses CreateDatabase.
//
// The server is either the one named by INGOT_TEST_PG_DSN (the role needs
// CREATEDB) or a throwaway cluster that pgtest starts on first use (initdb +
// pg_ctl in a temporary directory, a free 127.0.0.1 port and a unix socket in
// that directory, durability switched off for speed) and stops when m.Run
// returns. Binaries come from PATH, else from the newest
// /usr/lib/postgresql/*/bin. When the test process runs as root, the cluster
// runs as the OS user "postgres", because initdb refuses to run as root.
//
// The throwaway cluster requires password authentication (scram-sha-256) for
// every connection, so DSNs always carry a password and code under test sees
// the same failures it would see against a real server.
//
// When no PostgreSQL is available, NewDatabase skips the test with a message
// saying why; with CI=true it fails the test instead, so CI never passes by
// skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding an existing server's DSN.
const EnvDSN = "INGOT_TEST_PG_DSN"

// Database is a fresh database created for one test and dropped when the
// test ends.
type Database struct {
	DSN      string // connection string for Name, password included (key=value, or a URL when INGOT_TEST_PG_DSN is one)
	Host     string // host name or unix socket directory
	Port     int
	User     string
	Password string
	Name     string // database name
}

// ErrNotInstalled is wrapped by the errors of CreateDatabase when there is
// no PostgreSQL to test with and skipping is allowed (CI is not "true").
var ErrNotInstalled = errors.New("PostgreSQL is not available")

// state is the one piece of test-binary-wide state: the server shared by
// all tests of the binary. Run enables it; the first database request
// starts the server; Run stops it when the tests are done.
var state struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     server // nil until started, or when starting failed
	err     error  // why the server could not be started
	skip    bool   // err means "no PostgreSQL here", not a failure
}

// server is a PostgreSQL server that hands out admin connections.
type server interface {
	adminDSN() string
	stop() error
}

// Main runs the tests of a package and stops the shared server afterwards.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	os.Exit(Run(m.Run))
}

// Run is Main for a TestMain that runs its tests some other way, e.g.
//
//	func TestMain(m *testing.M) {
//		os.Exit(pgtest.Run(func() int { return testscript.RunMain(m, commands) }))
//	}
//
// It calls run, stops the server if one was started, and returns run's
// exit code (1 if stopping failed).
func Run(run func() int) int {
	state.mu.Lock()
	state.inMain = true
	state.mu.Unlock()

	code := run()

	state.mu.Lock()
	srv := state.srv
	state.srv, state.started, state.inMain, state.err = nil, false, false, nil
	state.mu.Unlock()
	if srv != nil {
		if err := srv.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping PostgreSQL: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// NewDatabase creates a database for this test and returns its DSN. The
// database is dropped when the test and its subtests are done.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return New(tb).DSN
}

// New is NewDatabase returning the connection parts as well, for tests that
// need the password or the host separately.
func New(tb testing.TB) *Database {
	tb.Helper()
	db, drop, err := CreateDatabase(context.Background(), tb.Name())
	if err != nil {
		if errors.Is(err, ErrNotInstalled) {
			tb.Skipf("pgtest: skipping: %v", err)
		}
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return db
}

// CreateDatabase is New for callers without a testing.TB (a testscript
// Setup, say): it returns the database and a function dropping it. When
// PostgreSQL is not installed the error wraps ErrNotInstalled, unless CI is
// "true": then it is a plain error, for the caller to fail on. label shows
// in the database name.
func CreateDatabase(ctx context.Context, label string) (db *Database, drop func() error, err error) {
	srv, err := sharedServer()
	if err != nil {
		return nil, nil, err
	}
	return createDatabase(ctx, srv, label)
}

// createDatabase creates a database named after label on srv.
func createDatabase(ctx context.Context, srv server, label string) (db *Database, drop func() error, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, srv.adminDSN())
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)

	name := databaseName(label)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	drop = func() error { return dropDatabase(srv.adminDSN(), name) }
	dsn, err := withDatabase(srv.adminDSN(), name)
	if err == nil {
		var cfg *pgx.ConnConfig
		if cfg, err = pgx.ParseConfig(dsn); err == nil {
			db = &Database{
				DSN: dsn, Host: cfg.Host, Port: int(cfg.Port),
				User: cfg.User, Password: cfg.Password, Name: name,
			}
		}
	}
	if err != nil {
		_ = drop()
		return nil, nil, err
	}
	return db, drop, nil
}

func dropDatabase(adminDSN, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	defer admin.Close(ctx)
	// FORCE ends sessions a test left open (a pool not closed on failure).
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// sharedServer returns the binary's server, starting it on first use.
func sharedServer() (server, error) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if !state.inMain {
		return nil, errors.New("the test binary has no TestMain calling pgtest.Main(m) (or pgtest.Run); add\n\tfunc TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	if !state.started {
		state.started = true
		state.srv, state.skip, state.err = startServer(os.Getenv, defaultGlob)
	}
	if state.err != nil {
		return nil, unavailable(isCI(os.Getenv("CI")), state.skip, state.err)
	}
	return state.srv, nil
}

// unavailable turns a failure to get a server into the error to report:
// one wrapping ErrNotInstalled (tests skip) when PostgreSQL is simply not
// installed, a plain one (tests fail) under CI or when the server exists but
// could not be used.
func unavailable(ci, skip bool, err error) error {
	switch {
	case skip && !ci:
		return fmt.Errorf("%w: %v (install PostgreSQL or set %s)", ErrNotInstalled, err, EnvDSN)
	case skip:
		return fmt.Errorf("%v; CI=true, so PostgreSQL tests must run (install PostgreSQL or set %s)", err, EnvDSN)
	}
	return err
}

func isCI(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// startServer picks the external server when INGOT_TEST_PG_DSN is set and
// starts a cluster otherwise. skip reports that PostgreSQL is not installed.
func startServer(getenv func(string) string, glob string) (srv server, skip bool, err error) {
	if dsn := getenv(EnvDSN); dsn != "" {
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return nil, false, fmt.Errorf("%s is not a valid DSN", EnvDSN)
		}
		return external(dsn), false, nil
	}
	bin, err := findBinaries(getenv("PATH"), glob)
	if err != nil {
		return nil, true, err
	}
	// The system temporary directory rather than a test's TempDir: the
	// cluster outlives single tests, and the socket path must stay short
	// (unix socket paths are limited to about 100 bytes).
	c, err := startCluster(bin, os.TempDir())
	if err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// external is a server the environment provides; pgtest never stops it.
type external string

func (e external) adminDSN() string { return string(e) }
func (e external) stop() error      { return nil }

// databaseName derives a unique, recognizable database name from the test
// name; the random part keeps parallel test binaries on one server apart.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString("ingot_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	b.WriteByte('_')
	b.WriteString(randomHex(6))
	return b.String()
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(buf)
}

// withDatabase returns dsn (URL or key=value form) pointing at database name.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("cannot parse the server DSN as a URL")
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In key=value form a later keyword wins over an earlier one.
	return strings.TrimSpace(dsn) + " dbname=" + quoteValue(name), nil
}

// quoteValue quotes a key=value connection string value.
func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
