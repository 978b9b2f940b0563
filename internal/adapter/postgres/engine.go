package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Options are a PostgreSQL output's keys in profiles.yml.
type Options struct {
	Host     string
	Port     int
	User     string
	Password string
	DBName   string
	SSLMode  string
	// DSN, when set, wins over the fields above.
	DSN            string
	ConnectTimeout time.Duration
	// PgDuckdb is "auto" (default), "on" or "off".
	PgDuckdb string
}

// Dialect is PostgreSQL's: SQL-standard quoting, names cut at 63 bytes.
var dialect = adapter.Dialect{
	DefaultSchema:      "public",
	MacroPrefixes:      []string{"postgres"},
	MaxIdentifierBytes: 63,
	// round(x, n) and friends take numeric, not double precision.
	FloatType: "numeric",
}

// Engine describes the PostgreSQL engine to the registry.
func Engine() *adapter.Engine {
	return &adapter.Engine{
		Name:          "postgres",
		DecodeOptions: decodeOptions,
		Open: func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
			return Open(ctx, t)
		},
		Dialect: dialect,
		Caps: adapter.Caps{
			TransactionalDDL: true,
			AtomicReplace:    true,
			Merge:            true,
			AdvisoryLock:     true,
		},
		DBT: &adapter.DBTProfile{Type: "postgres", Keys: map[string]string{
			"host": "host", "port": "port", "user": "user", "password": "password", "pass": "password",
			"dbname": "dbname", "database": "dbname", "sslmode": "sslmode", "connect_timeout": "connect_timeout"}},
	}
}

// Dialect implements adapter.Adapter.
func (a *Adapter) Dialect() adapter.Dialect { return dialect }

// optionsOf returns t's PostgreSQL options (the defaults when t has none).
func optionsOf(t adapter.Target) Options {
	if o, ok := t.Options.(Options); ok {
		return o
	}
	if o, ok := t.Options.(*Options); ok && o != nil {
		return *o
	}
	return Options{}
}

type optionsYAML struct {
	Host           string             `yaml:"host"`
	Port           adapter.ProfileInt `yaml:"port"`
	User           string             `yaml:"user"`
	Password       string             `yaml:"password"`
	DBName         string             `yaml:"dbname"`
	Database       string             `yaml:"database"`
	SSLMode        string             `yaml:"sslmode"`
	DSN            string             `yaml:"dsn"`
	ConnectTimeout adapter.ProfileInt `yaml:"connect_timeout"`
	PgDuckdb       string             `yaml:"pg_duckdb"`
}

func decodeOptions(src adapter.OptionSource) (adapter.Options, error) {
	var y optionsYAML
	if err := src.Decode(&y); err != nil {
		return nil, err
	}
	o := Options{Host: y.Host, Port: int(y.Port), User: y.User, Password: y.Password, DBName: y.DBName,
		SSLMode: y.SSLMode, DSN: y.DSN, ConnectTimeout: time.Duration(y.ConnectTimeout) * time.Second, PgDuckdb: y.PgDuckdb}
	if o.DBName == "" {
		o.DBName = y.Database
	}
	switch o.PgDuckdb {
	case "":
		o.PgDuckdb = "auto"
	case "auto", "on", "off":
	default:
		return nil, src.Errorf("pg_duckdb", "pg_duckdb must be auto, on or off, not %q", o.PgDuckdb)
	}
	return o, nil
}

// Fields implements adapter.Options: the connection settings, the
// password masked.
func (o Options) Fields(func(string) string) [][2]string {
	var out [][2]string
	if o.DSN != "" {
		var s adapter.Secrets
		s.Add(o.Password)
		s.Add(adapter.DSNPasswords(o.DSN)...)
		out = append(out, [2]string{"dsn", s.String(o.DSN)})
	} else {
		pw := ""
		if o.Password != "" {
			pw = adapter.Mask
		}
		out = append(out, [2]string{"host", o.Host}, [2]string{"port", strconv.Itoa(o.Port)}, [2]string{"user", o.User},
			[2]string{"password", pw}, [2]string{"dbname", o.DBName}, [2]string{"sslmode", o.SSLMode})
	}
	return append(out, [2]string{"pg_duckdb", o.PgDuckdb})
}
