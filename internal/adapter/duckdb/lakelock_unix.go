//go:build unix

package duckdb

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// lockFile takes an exclusive flock on path: the kernel drops it when the
// process ends, even by kill -9, so a crashed run never leaves it held.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ducklake: opening the run lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("ducklake: run lock %s: %w", path, adapter.ErrLocked)
		}
		return nil, fmt.Errorf("ducklake: taking the run lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
