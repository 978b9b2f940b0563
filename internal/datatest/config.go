package datatest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/textutil"
)

// Severities of a data test.
const (
	SeverityError = "error"
	SeverityWarn  = "warn"
)

// defaultAuditSchema holds the tables of store_failures.
const defaultAuditSchema = "audit"

// config is a data test's configuration (dbt's test configs).
type config struct {
	Severity      string
	WarnIf        threshold
	ErrorIf       threshold
	Where         string
	Limit         int // 0: no limit
	StoreFailures bool
	Schema        string // schema of the store_failures table
	Alias         string // name of the store_failures table
	Tags          []string
	Enabled       bool
	Meta          map[string]any
}

// configKeys are the keys accepted under config: (and, dbt's older form,
// directly beside the test's arguments).
var configKeys = []string{"severity", "warn_if", "error_if", "where", "limit", "store_failures", "store_failures_as", "schema", "alias", "tags", "enabled", "meta", "database"}

func isConfigKey(k string) bool {
	for _, c := range configKeys {
		if c == k {
			return true
		}
	}
	return false
}

func defaultConfig() config {
	return config{Severity: SeverityError, WarnIf: nonZero(), ErrorIf: nonZero(), Enabled: true}
}

// parseConfig reads a test's config mapping over the defaults.
func parseConfig(raw map[string]any) (config, error) {
	c := defaultConfig()
	for _, k := range sortedKeys(raw) {
		v := raw[k]
		key := strings.ReplaceAll(strings.TrimPrefix(k, "+"), "-", "_")
		var err error
		switch key {
		case "severity":
			s := strings.ToLower(strings.TrimSpace(fmt.Sprint(v)))
			if s != SeverityError && s != SeverityWarn {
				err = fmt.Errorf("severity must be error or warn, not %q", fmt.Sprint(v))
			}
			c.Severity = s
		case "warn_if":
			c.WarnIf, err = parseThresholdValue(key, v)
		case "error_if":
			c.ErrorIf, err = parseThresholdValue(key, v)
		case "where":
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("where must be a SQL condition string")
			}
			c.Where = s
		case "limit":
			n, ok := asInt(v)
			if !ok || n < 0 {
				err = fmt.Errorf("limit must be a whole number >= 0, not %v", v)
			}
			c.Limit = int(n)
		case "store_failures":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("store_failures must be true or false")
			}
			c.StoreFailures = b
		case "store_failures_as":
			switch fmt.Sprint(v) {
			case "table":
				c.StoreFailures = true
			case "ephemeral":
				c.StoreFailures = false
			default:
				err = fmt.Errorf("store_failures_as must be table or ephemeral")
			}
		case "schema":
			c.Schema = fmt.Sprint(v)
		case "alias":
			c.Alias = fmt.Sprint(v)
		case "tags":
			c.Tags = stringList(v)
		case "enabled":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("enabled must be true or false")
			}
			c.Enabled = b
		case "meta":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				err = fmt.Errorf("meta must be a mapping")
			}
			c.Meta = m
		case "database":
			// Accepted for dbt compatibility; ingot has one database per target.
		default:
			msg := fmt.Sprintf("unknown test config %q", k)
			if s := textutil.Suggest(key, configKeys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			err = fmt.Errorf("%s", msg)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// threshold is a warn_if / error_if condition on the failing row count,
// such as ">10" or "!=0".
type threshold struct {
	Op  string
	N   int64
	Raw string
}

var thresholdRe = regexp.MustCompile(`^\s*(!=|<>|>=|<=|==|=|>|<)\s*(-?[0-9]+)\s*$`)

func parseThreshold(s string) (threshold, error) {
	m := thresholdRe.FindStringSubmatch(s)
	if m == nil {
		return threshold{}, fmt.Errorf("%q is not a condition on the failing row count; write it like \">10\", \"!=0\" or \">=5\"", s)
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return threshold{}, fmt.Errorf("%q: %w", s, err)
	}
	op := m[1]
	switch op {
	case "==":
		op = "="
	case "<>":
		op = "!="
	}
	return threshold{Op: op, N: n, Raw: op + m[2]}, nil
}

// nonZero is the default of both warn_if and error_if.
func nonZero() threshold { return threshold{Op: "!=", N: 0, Raw: "!=0"} }

func parseThresholdValue(key string, v any) (threshold, error) {
	s, ok := v.(string)
	if !ok {
		return threshold{}, fmt.Errorf("%s must be a quoted condition like \">10\", not %v", key, v)
	}
	t, err := parseThreshold(s)
	if err != nil {
		return threshold{}, fmt.Errorf("%s: %w", key, err)
	}
	return t, nil
}

// Match reports whether n failing rows meet the condition.
func (t threshold) Match(n int64) bool {
	switch t.Op {
	case "!=":
		return n != t.N
	case "=":
		return n == t.N
	case ">":
		return n > t.N
	case ">=":
		return n >= t.N
	case "<":
		return n < t.N
	case "<=":
		return n <= t.N
	}
	return false
}

func (t threshold) String() string { return t.Op + " " + strconv.FormatInt(t.N, 10) }

// decide turns a failing row count into pass, warn or fail as dbt does:
// an error-severity test fails when error_if holds, otherwise it warns
// when warn_if holds; a warn-severity test never fails.
func (c config) decide(failures int64) (status string, cond threshold) {
	if c.Severity == SeverityError && c.ErrorIf.Match(failures) {
		return "fail", c.ErrorIf
	}
	if c.WarnIf.Match(failures) {
		return "warn", c.WarnIf
	}
	return "pass", threshold{}
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func stringList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}
