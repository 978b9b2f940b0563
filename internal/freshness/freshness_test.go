package freshness

import (
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	now := time.Date(2024, 5, 28, 12, 0, 0, 0, time.UTC)
	spec, ok, err := ParseSpec(map[string]any{
		"warn_after":  map[string]any{"count": uint64(2), "period": "hour"},
		"error_after": map[string]any{"count": uint64(1), "period": "day"},
	})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	for _, tt := range []struct {
		age  time.Duration
		want string
	}{
		{time.Hour, Pass}, {2 * time.Hour, Pass}, {3 * time.Hour, Warn}, {25 * time.Hour, Error},
	} {
		if got := spec.Status(now.Add(-tt.age), now); got != tt.want {
			t.Errorf("age %s: %s, want %s", tt.age, got, tt.want)
		}
	}
	for _, bad := range []any{"soon", map[string]any{"warn_after": map[string]any{"count": uint64(1), "period": "week"}}, map[string]any{"stale_after": 1}} {
		if _, _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%v) accepted", bad)
		}
	}
	if _, ok, err := ParseSpec(nil); ok || err != nil {
		t.Errorf("nil spec: %v %v", ok, err)
	}
}
