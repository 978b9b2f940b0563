package project

import (
	"reflect"
	"strings"
	"testing"
)

func TestConfigHooks(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		want    []Hook
		wantErr string
	}{
		{"unset", nil, nil, ""},
		{"one string", "grant select on x to y", []Hook{{SQL: "grant select on x to y", Transaction: true}}, ""},
		{"blank strings dropped", []any{" ", "a"}, []Hook{{SQL: "a", Transaction: true}}, ""},
		{"strings from a template list", []string{"a", "b"}, []Hook{{"a", true}, {"b", true}}, ""},
		{"mapping outside the transaction", map[string]any{"sql": "vacuum x", "transaction": false}, []Hook{{"vacuum x", false}}, ""},
		{"list of both", []any{"a", map[string]any{"sql": "b"}}, []Hook{{"a", true}, {"b", true}}, ""},
		{"misspelt key", []any{"a", map[string]any{"sql": "b", "transation": false}}, nil, `post_hook entry 2: unknown key "transation" (did you mean "transaction"?)`},
		{"transaction not a bool", map[string]any{"sql": "b", "transaction": "no"}, nil, "post_hook entry 1: transaction must be true or false"},
		{"no sql", map[string]any{"transaction": false}, nil, "post_hook entry 1: no sql"},
		{"a number", 3, nil, "post_hook entry 1: got 3; want a SQL string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Config{"post_hook": tt.v}.Hooks("post_hook")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCheckConfigValueContract(t *testing.T) {
	tests := []struct {
		name     string
		v        any
		enforced bool
		wantErr  string
	}{
		{"enforced", map[string]any{"enforced": true}, true, ""},
		{"not enforced", map[string]any{"enforced": false}, false, ""},
		{"empty mapping", map[string]any{}, false, ""},
		{"misspelt key", map[string]any{"enfored": true}, false, `unknown contract key "enfored" (did you mean "enforced"?): contract takes enforced: true or false`},
		{"alias_types is not ingot's", map[string]any{"enforced": true, "alias_types": false}, false, `unknown contract key "alias_types"`},
		{"enforced not a bool", map[string]any{"enforced": "yes"}, false, "contract enforced must be true or false, not yes"},
		{"not a mapping", true, false, "config contract must be a mapping, e.g. {enforced: true}, not true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckConfigValue("contract", tt.v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := (Config{"contract": tt.v}).ContractEnforced(); got != tt.enforced {
				t.Errorf("ContractEnforced = %v, want %v", got, tt.enforced)
			}
		})
	}
	if err := CheckConfigValue("meta", 5); err != nil {
		t.Errorf("other keys are not checked here: %v", err)
	}
}
