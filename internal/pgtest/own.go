package pgtest

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
)

// Cluster is a throwaway PostgreSQL server of one test alone, for tests
// that stop the server under a running client. Database is a fresh
// database on it.
type Cluster struct {
	*Database
	c *cluster

	mu      sync.Mutex
	stopped bool
}

// NewCluster starts a cluster for this test (a second or two more than
// New, so use New unless the test stops the server) and creates a
// database on it; both go when the test ends. INGOT_TEST_PG_DSN is not
// used, since a server the environment provides must not be stopped. No
// TestMain is needed. Without PostgreSQL the test skips, or fails under
// CI=true, as with New.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin, err := findBinaries(os.Getenv("PATH"), defaultGlob)
	if err != nil {
		err = unavailable(isCI(os.Getenv("CI")), true, err)
		if errors.Is(err, ErrNotInstalled) {
			tb.Skipf("pgtest: skipping: %v", err)
		}
		tb.Fatalf("pgtest: %v", err)
	}
	c, err := startCluster(bin, os.TempDir())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	own := &Cluster{c: c}
	tb.Cleanup(func() {
		own.mu.Lock()
		defer own.mu.Unlock()
		var err error
		if own.stopped {
			err = os.RemoveAll(c.dir)
		} else {
			err = c.stop()
		}
		if err != nil {
			tb.Errorf("pgtest: removing the cluster: %v", err)
		}
	})
	// The database goes with the cluster, so there is nothing to drop.
	own.Database, _, err = createDatabase(context.Background(), c, tb.Name())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return own
}

// Stop stops the server at once (pg_ctl stop -m immediate), as a crash
// would: open connections are cut and new ones refused. Safe to call from
// any goroutine, and more than once.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	return c.c.halt()
}
