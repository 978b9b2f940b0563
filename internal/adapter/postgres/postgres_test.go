package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestOpenTargetFields(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	fields := adapter.Target{Name: "pg", Type: "postgres", Options: Options{Host: db.Host, Port: db.Port, User: db.User, Password: db.Password, DBName: db.Name, SSLMode: "disable"}}
	tests := []struct {
		name string
		tgt  func() adapter.Target
	}{
		{"fields", func() adapter.Target { return fields }},
		{"dsn wins over fields", func() adapter.Target {
			t, o := fields, optionsOf(fields)
			o.Host, o.Port, o.User, o.Password, o.DBName = "nowhere.invalid", 1, "nobody", "wrong", "nothing"
			o.DSN = db.DSN
			t.Options = o
			return t
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Open(ctx, tt.tgt())
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			info, err := a.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.Engine != "postgres" || !strings.HasPrefix(info.Version, "1") || info.Details["database"] != db.Name {
				t.Errorf("info = %+v", info)
			}
			if a.Type() != "postgres" {
				t.Errorf("Type() = %q", a.Type())
			}
		})
	}
}

func TestPoolConfig(t *testing.T) {
	tests := []struct {
		name        string
		tgt         adapter.Target
		wantTimeout time.Duration
		wantHost    string
		wantDB      string
	}{
		{"default timeout", adapter.Target{Options: Options{Host: "h", DBName: "d", User: "u"}}, defaultConnectTimeout, "h", "d"},
		{"target timeout", adapter.Target{Options: Options{Host: "h", DBName: "d", User: "u", ConnectTimeout: 3 * time.Second}}, 3 * time.Second, "h", "d"},
		{"dsn timeout", adapter.Target{Options: Options{DSN: "host=x dbname=y user=u connect_timeout=7"}}, 7 * time.Second, "x", "y"},
		{"target timeout over dsn", adapter.Target{Options: Options{DSN: "postgres://u@x/y?connect_timeout=7", ConnectTimeout: time.Second}}, time.Second, "x", "y"},
		{"quoting", adapter.Target{Options: Options{Host: "h", DBName: "it's a db", User: `back\slash`}}, defaultConnectTimeout, "h", "it's a db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Adapter{target: tt.tgt, opts: optionsOf(tt.tgt)}
			cfg, err := a.poolConfig()
			if err != nil {
				t.Fatal(err)
			}
			cc := cfg.ConnConfig
			if cc.ConnectTimeout != tt.wantTimeout || cc.Host != tt.wantHost || cc.Database != tt.wantDB {
				t.Errorf("timeout %v host %q db %q", cc.ConnectTimeout, cc.Host, cc.Database)
			}
			if cc.DefaultQueryExecMode != pgx.QueryExecModeExec {
				t.Errorf("exec mode %v: prepared statement caching would break on rebuilt relations", cc.DefaultQueryExecMode)
			}
		})
	}
}

func TestPasswordRedaction(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	const secret = "Sup3r s'cret/p@ss"
	closedPort := func() int {
		// A port nothing listens on: the test cluster's own port plus
		// one is not guaranteed free, so use port 1 on loopback.
		return 1
	}()
	tests := []struct {
		name string
		tgt  adapter.Target
	}{
		{"wrong password (fields)", adapter.Target{Options: Options{Host: db.Host, Port: db.Port, User: db.User, Password: secret, DBName: db.Name}}},
		{"wrong password (url dsn)", adapter.Target{Options: Options{DSN: "postgres://" + url.UserPassword(db.User, secret).String() + "@127.0.0.1:" + itoa(db.Port) + "/" + db.Name + "?sslmode=disable"}}},
		{"wrong password (key=value dsn)", adapter.Target{Options: Options{DSN: "host=127.0.0.1 port=" + itoa(db.Port) + " user=" + db.User + " dbname=" + db.Name + " sslmode=disable password=" + quoteConnValue(secret)}}},
		{"unreachable host", adapter.Target{Options: Options{Host: "127.0.0.1", Port: closedPort, User: "u", Password: secret, DBName: "d", SSLMode: "disable"}}},
		{"unresolvable host", adapter.Target{Options: Options{DSN: "postgres://" + url.UserPassword("u", secret).String() + "@host.invalid:5432/d?connect_timeout=2"}}},
		{"invalid dsn", adapter.Target{Options: Options{DSN: "postgres://" + url.UserPassword("u", secret).String() + "@h:notaport/d"}}},
		{"invalid key=value dsn", adapter.Target{Options: Options{DSN: "host=h password='" + secret + "' sslmode=bogus"}}},
		{"unquoted password in key=value dsn", adapter.Target{Options: Options{DSN: "host=h user=u password=" + secret}}},
		{"invalid sslmode", adapter.Target{Options: Options{Host: "h", Password: secret, SSLMode: "bogus"}}},
	}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("", secret).String()[1:]}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tgt.Name, tt.tgt.Type = "pg", "postgres"
			a, err := Open(ctx, tt.tgt)
			if err == nil {
				a.Close()
				t.Fatal("Open succeeded")
			}
			for _, f := range forms {
				if strings.Contains(err.Error(), f) {
					t.Errorf("error shows the password (%q): %v", f, err)
				}
			}
			// Not even a part of it.
			for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return strings.ContainsRune(" '/@", r) }) {
				if len(part) > 3 && strings.Contains(err.Error(), part) {
					t.Errorf("error shows part of the password (%q): %v", part, err)
				}
			}
			if !strings.Contains(err.Error(), `postgres target "pg"`) {
				t.Errorf("error does not name the target: %v", err)
			}
		})
	}

	// Errors after connecting are redacted too, even if a statement
	// mentions the password.
	e := newEnv(t)
	_, err := e.a.Exec(ctx, "select * from "+adapter.QuoteIdent("no_such_table_"+db.Password))
	if err == nil || strings.Contains(err.Error(), db.Password) {
		t.Errorf("error after connect: %v", err)
	}
	if !strings.Contains(err.Error(), "no_such_table_"+adapter.Mask+"") {
		t.Errorf("redacted error lost its message: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRedactKeepsErrorIdentity(t *testing.T) {
	a := &Adapter{}
	a.secrets.Add("pw")
	err := a.redact(errors.Join(context.Canceled, errors.New("user:pw")))
	if strings.Contains(err.Error(), "pw") {
		t.Errorf("not redacted: %v", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("redacted error no longer matches context.Canceled")
	}
	plain := errors.New("nothing secret")
	if a.redact(plain) != plain {
		t.Errorf("an error without the password was rewrapped")
	}
}

func TestDSNPassword(t *testing.T) {
	tests := []struct {
		dsn  string
		want []string
	}{
		{"postgres://u:p%40ss@h/d", []string{"p@ss"}},
		{"host=h password=abc user=u", []string{"abc"}},
		{"host=h password='a b' user=u", []string{"a b"}},
		{"postgres://h/d?password=q&x=1", []string{"q"}},
		{"host=h", nil},
	}
	for _, tt := range tests {
		got := adapter.DSNPasswords(tt.dsn)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("dsnPassword(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestEnsureSchemaDescribeDrop(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Concurrent creation of one schema must not fail on the catalog race.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			a := e.open(adapter.Target{})
			errs <- a.EnsureSchema(ctx, "Mixed Case")
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	r := rel("Mixed Case", `odd "name"`)
	if err := e.a.CreateTableAs(ctx, r, "select 1::int as a, 'x'::varchar(5) as \"B\", 2.5::numeric(10,2) as c;"); err != nil {
		t.Fatal(err)
	}
	kind, cols, err := e.a.Describe(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []adapter.Column{{Name: "a", Type: "integer"}, {Name: "B", Type: "character varying(5)"}, {Name: "c", Type: "numeric(10,2)"}}
	if kind != adapter.KindTable || len(cols) != 3 || cols[0] != want[0] || cols[1] != want[1] || cols[2] != want[2] {
		t.Errorf("Describe = %v %v", kind, cols)
	}
	// CreateTableAs replaces whatever is there.
	if err := e.a.CreateTableAs(ctx, r, "select 2 as z"); err != nil {
		t.Fatal(err)
	}
	e.wantRows(`select * from "Mixed Case"."odd ""name"""`, "2")

	e.exec(`create view "Mixed Case".v as select 1 as x`)
	if kind, _, _ := e.a.Describe(ctx, rel("Mixed Case", "v")); kind != adapter.KindView {
		t.Errorf("view described as %q", kind)
	}
	if kind, cols, err := e.a.Describe(ctx, rel("Mixed Case", "missing")); kind != adapter.KindNone || cols != nil || err != nil {
		t.Errorf("missing relation: %v %v %v", kind, cols, err)
	}
	e.exec(`create sequence "Mixed Case".seq`)
	if _, _, err := e.a.Describe(ctx, rel("Mixed Case", "seq")); err == nil || !strings.Contains(err.Error(), "sequence") {
		t.Errorf("sequence: %v", err)
	}

	for _, name := range []string{"v", `odd "name"`, "missing"} {
		if err := e.a.DropRelation(ctx, rel("Mixed Case", name)); err != nil {
			t.Fatal(err)
		}
	}
	e.wantRows(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname = 'Mixed Case' and relkind in ('r','v')`)
}

func TestQuote(t *testing.T) {
	if got := relationSQL(rel(`s"x`, "t")); got != `"s""x"."t"` {
		t.Errorf("RelationSQL = %s", got)
	}
	if got := dialect.Quote("a b"); got != `"a b"` {
		t.Errorf("Quote = %s", got)
	}
}

func TestExecMultipleStatements(t *testing.T) {
	e := newEnv(t)
	n, err := e.a.Exec(context.Background(), "create table public.t (x int); insert into public.t values (1), (2)")
	if err != nil || n != 2 {
		t.Fatalf("Exec = %d, %v", n, err)
	}
}

func TestLock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.open(adapter.Target{})

	release, err := e.a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("second run without waiting: %v, want ErrLocked", err)
	}
	// Waiting ends with the context.
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = other.Lock(wctx, true)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting second run: %v, want deadline exceeded", err)
	}

	// A waiting run gets the lock once the first releases it.
	got := make(chan error, 1)
	var release2 func()
	go func() {
		var err error
		release2, err = other.Lock(ctx, true)
		got <- err
	}()
	waitFor(t, func() bool {
		return len(e.rows("select 1 from pg_locks where locktype = 'advisory' and not granted")) == 1
	})
	release()
	release() // idempotent
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("lock taken over by the second run: %v, want ErrLocked", err)
	}
	release2()
	r3, err := e.a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Close frees a lock that was never released.
	e.a.Close()
	r3()
	if _, err := other.Lock(ctx, false); err != nil {
		t.Fatalf("after Close: %v", err)
	}
}

// waitFor polls cond until it holds; it fails the test after a generous
// limit rather than asserting on timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSettingsApplyToEverySession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.open(adapter.Target{Threads: 2, Settings: map[string]string{"work_mem": "64MB", "jit": "off"}})
	// Several sessions at once, so that more than one pooled connection is used.
	var g errgroup.Group
	for range 4 {
		g.Go(func() error {
			rows, err := a.Query(ctx, "select current_setting('work_mem'), current_setting('jit'), pg_sleep(0.05)::text", 0)
			if err != nil {
				return err
			}
			if got := fmt.Sprint(rows.Rows[0][:2]); got != "[64MB off]" {
				return fmt.Errorf("settings in a session: %s", got)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	for name, want := range map[string]string{"no_such_parameter": "no_such_parameter", "bad name": `invalid setting name "bad name"`} {
		tgt := adapter.Target{Name: "pg", Type: "postgres", Settings: map[string]string{name: "1"}, Options: Options{DSN: e.db.DSN}}
		b, err := Open(ctx, tgt)
		if err == nil {
			b.Close()
			t.Fatalf("setting %q accepted", name)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("setting %q: error %v, want it to mention %q", name, err, want)
		}
	}
}
