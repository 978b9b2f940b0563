// Package freshness checks how recently a source table was loaded against
// its warn_after and error_after limits (dbt's source freshness).
package freshness

import (
	"fmt"
	"time"
)

// Statuses of a check, as dbt writes them to sources.json.
const (
	Pass  = "pass"
	Warn  = "warn"
	Error = "error"
	// RuntimeError: the check could not run (a missing table, say).
	RuntimeError = "runtime error"
)

// Limit is one of warn_after / error_after.
type Limit struct {
	Count  int    `json:"count,omitempty"`
	Period string `json:"period,omitempty"`
}

// Duration of the limit; 0 when unset.
func (l Limit) Duration() time.Duration {
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[l.Period]
	return time.Duration(l.Count) * unit
}

// Spec is a source table's freshness config.
type Spec struct {
	WarnAfter  Limit  `json:"warn_after"`
	ErrorAfter Limit  `json:"error_after"`
	Filter     string `json:"filter,omitempty"`
}

// ParseSpec reads a freshness: mapping as written in yml; ok is false when
// raw is null (no freshness check).
func ParseSpec(raw any) (spec Spec, ok bool, err error) {
	if raw == nil {
		return spec, false, nil
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		return spec, false, fmt.Errorf("freshness must be a mapping with warn_after and/or error_after")
	}
	for k, v := range m {
		switch k {
		case "warn_after", "error_after":
			l, err := parseLimit(k, v)
			if err != nil {
				return spec, false, err
			}
			if k == "warn_after" {
				spec.WarnAfter = l
			} else {
				spec.ErrorAfter = l
			}
		case "filter":
			spec.Filter = fmt.Sprint(v)
		default:
			return spec, false, fmt.Errorf("freshness: unknown key %q (use warn_after, error_after, filter)", k)
		}
	}
	if spec.WarnAfter.Count == 0 && spec.ErrorAfter.Count == 0 {
		return spec, false, nil
	}
	return spec, true, nil
}

func parseLimit(key string, v any) (Limit, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Limit{}, fmt.Errorf("freshness %s must be {count: N, period: minute|hour|day}", key)
	}
	var l Limit
	switch c := m["count"].(type) {
	case int:
		l.Count = c
	case int64:
		l.Count = int(c)
	case uint64:
		l.Count = int(c)
	case float64:
		l.Count = int(c)
	default:
		return Limit{}, fmt.Errorf("freshness %s: count must be a whole number", key)
	}
	l.Period = fmt.Sprint(m["period"])
	if l.Duration() == 0 && l.Count != 0 {
		return Limit{}, fmt.Errorf("freshness %s: period must be minute, hour or day, not %q", key, l.Period)
	}
	return l, nil
}

// Status is the verdict for a table last loaded at maxLoaded, checked at now.
func (s Spec) Status(maxLoaded, now time.Time) string {
	age := now.Sub(maxLoaded)
	if d := s.ErrorAfter.Duration(); d > 0 && age > d {
		return Error
	}
	if d := s.WarnAfter.Duration(); d > 0 && age > d {
		return Warn
	}
	return Pass
}
