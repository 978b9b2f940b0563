package adapter

import (
	"context"
	"time"
)

// Lake describes the DuckLake catalog a DuckDB target attaches as its
// database (profiles.yml type: ducklake): tables live as Parquet files
// under DataPath, their metadata in the catalog, and every transaction is
// one snapshot that readers in other processes see whole or not at all.
type Lake struct {
	Catalog LakeCatalog
	// DataPath is the folder holding the Parquet files (absolute, or a URL
	// such as s3://bucket/prefix passed to DuckDB as written).
	DataPath string
	// ExtensionDir is a folder holding the ducklake and scanner extension
	// files, for machines without internet; "" = DuckDB's own extension
	// directory.
	ExtensionDir string
}

// ExtensionDirEnv names the environment variable pointing a ducklake target
// at a folder of DuckDB extension files when its profile sets no
// extension_directory.
const ExtensionDirEnv = "INGOT_DUCKDB_EXTENSION_DIR"

// Catalog kinds of a lake.
const (
	CatalogSQLite   = "sqlite"
	CatalogDuckDB   = "duckdb"
	CatalogPostgres = "postgres"
)

// LakeCatalog is where a lake keeps its metadata.
type LakeCatalog struct {
	Kind string // CatalogSQLite, CatalogDuckDB or CatalogPostgres
	Path string // sqlite and duckdb: the catalog file (absolute)
	// DSN is the PostgreSQL connection string (libpq key=value form) of a
	// postgres catalog.
	DSN string
}

// Snapshot is one committed version of a lake.
type Snapshot struct {
	ID      int64
	Time    time.Time
	Changes string // what the commit changed, as DuckLake lists it
}

// AsOf picks the version of a relation to read: a snapshot id or a point
// in time. The zero value is the current version.
type AsOf struct {
	Version   int64 // > 0: this snapshot
	Timestamp time.Time
}

// IsZero reports whether a is the current version.
func (a AsOf) IsZero() bool { return a.Version <= 0 && a.Timestamp.IsZero() }

// TimeTraveler is implemented by adapters that keep past versions of their
// relations (a DuckLake target).
type TimeTraveler interface {
	// KeepsHistory reports whether this target keeps past versions (an
	// engine may implement the interface for targets that do not).
	KeepsHistory() bool
	// RelationAt renders r as it was at at, for use in a FROM clause.
	RelationAt(r Relation, at AsOf) (string, error)
	// Snapshots lists the n most recent snapshots, newest first.
	Snapshots(ctx context.Context, n int) ([]Snapshot, error)
}
