package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestConnectionLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"closed connection", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"eof", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"shutdown", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"crash", &pgconn.PgError{Code: "57P02"}, true},
		{"syntax error", &pgconn.PgError{Code: "42601", Message: "syntax error"}, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"cancelled by the user", fmt.Errorf("x: %w", context.Canceled), false},
		{"plain", errors.New("relation does not exist"), false},
	} {
		if got := connectionLost(tc.err); got != tc.want {
			t.Errorf("%s: connectionLost(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
