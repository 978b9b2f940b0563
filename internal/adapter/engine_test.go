package adapter

import (
	"strings"
	"testing"
)

func TestCapsStrategy(t *testing.T) {
	tests := []struct {
		merge    bool
		strategy string
		keys     []string
		want     string
	}{
		{true, "", []string{"id"}, ""},
		{true, "merge", []string{"id"}, "merge"},
		{false, "merge", []string{"id"}, "delete+insert"},
		{false, "", []string{"id"}, "delete+insert"},
		{false, "", nil, ""},
		{false, "append", []string{"id"}, "append"},
	}
	for _, tt := range tests {
		if got := (Caps{Merge: tt.merge}).Strategy(tt.strategy, tt.keys); got != tt.want {
			t.Errorf("Merge=%v Strategy(%q, %v) = %q, want %q", tt.merge, tt.strategy, tt.keys, got, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	if _, err := NewRegistry(&Engine{Name: ""}); err == nil {
		t.Error("an engine without a name was registered")
	}
	e := &Engine{Name: "a", Dialect: Dialect{MacroPrefixes: []string{"a"}, MaxIdentifierBytes: 63}}
	if _, err := NewRegistry(e); err == nil {
		t.Error("an engine without Open was registered")
	}
}

func TestDialectQuote(t *testing.T) {
	d := Dialect{QuoteChar: "`"}
	if got := d.RelationSQL(Relation{Database: "c", Schema: "s", Name: "a`b"}); got != "`c`.`s`.`a``b`" {
		t.Errorf("RelationSQL = %s", got)
	}
	if got := (Dialect{}).Quote(`x"y`); got != `"x""y"` {
		t.Errorf("Quote = %s", got)
	}
}

func TestCapsReplace(t *testing.T) {
	tests := []struct {
		caps     Caps
		want     Replace
		rollback bool // a failing post_hook undoes the build
	}{
		{Caps{TransactionalDDL: true, AtomicReplace: true}, ReplaceInTransaction, true},
		{Caps{TransactionalDDL: true}, ReplaceInTransaction, true},
		{Caps{AtomicReplace: true}, ReplaceInPlace, false},
		{Caps{}, ReplaceDropRename, false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if got := tt.caps.Replace(); got != tt.want {
			t.Errorf("%+v: Replace() = %v, want %v", tt.caps, got, tt.want)
		}
		if got := strings.Contains(tt.caps.HookFailure(), "rolls back"); got != tt.rollback {
			t.Errorf("%+v: HookFailure() = %q", tt.caps, tt.caps.HookFailure())
		}
		seen[tt.caps.ReaderView()] = true
	}
	// Each path guarantees readers something different.
	if len(seen) != 3 {
		t.Errorf("%d reader guarantees for 3 paths: %v", len(seen), seen)
	}
}
