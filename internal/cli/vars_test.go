package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecodeVarsAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("{l0: &l0 [x, x, x, x, x, x, x, x, x, x]")
	for i := 1; i < 10; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, ", l%d: &l%d [%s]", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
	b.WriteString("}")
	_, err := decodeVars(b.String())
	if err == nil || !strings.Contains(err.Error(), "--vars: YAML aliases expand") {
		t.Fatalf("got %v", err)
	}
	if _, ok := err.(*usageError); !ok {
		t.Errorf("got %T, want a usage error (exit 2)", err)
	}
}
