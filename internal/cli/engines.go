package cli

import (
	"context"
	"maps"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
)

// Engines are the warehouse engines ingot is built with: the one place
// that names them. A new engine adds its Engine here.
func Engines() *adapter.Registry {
	reg, err := adapter.NewRegistry(duckdb.Engine(), duckdb.LakeEngine(), postgres.Engine())
	if err != nil {
		panic(err) // a programming error, caught by every test
	}
	return reg
}

// scratchDB opens the in-memory DuckDB unit tests run in, with the
// target's settings (e.g. TimeZone).
func scratchDB(settings map[string]string) func(context.Context) (adapter.Adapter, error) {
	return func(ctx context.Context) (adapter.Adapter, error) {
		// Fixtures are a few rows: one thread, so that unit tests running
		// beside a build do not take the build's cores.
		all := map[string]string{"threads": "1"}
		maps.Copy(all, settings)
		return duckdb.Open(ctx, duckdb.InMemory("unit_tests", all))
	}
}
