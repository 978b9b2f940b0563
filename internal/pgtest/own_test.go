package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNewClusterStop(t *testing.T) {
	ctx := context.Background()
	var dir string
	t.Run("own", func(t *testing.T) {
		c := NewCluster(t)
		dir = c.c.dir
		conn, err := pgx.Connect(ctx, c.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := conn.Ping(ctx); err == nil {
			t.Error("connection still works after Stop")
		}
		if _, err := pgx.Connect(ctx, c.DSN); err == nil {
			t.Error("new connection accepted after Stop")
		}
		if err := c.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory left after the test: %v", err)
	}
}
