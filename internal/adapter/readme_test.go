package adapter_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/cli"
)

// README's table of what each engine guarantees is what the registered
// engines' capabilities say: an engine whose caps change, or a new one,
// fails this test until the table is pasted from its message.
func TestReadmeEngineTable(t *testing.T) {
	const begin, end = "<!-- engines:begin (generated from each engine's adapter.Caps; internal/adapter/readme_test.go) -->\n", "<!-- engines:end -->"
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, rest, ok := strings.Cut(readme, begin)
	if !ok {
		t.Fatalf("README.md lacks the line %q", strings.TrimSpace(begin))
	}
	table, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatalf("README.md lacks %q after the table", end)
	}
	if want := engineTable(cli.Engines()); table != want {
		t.Errorf("README.md's engine table is not what the engines' caps say; paste this between the markers:\n%s", want)
	}
}

func engineTable(reg *adapter.Registry) string {
	var b strings.Builder
	b.WriteString("| engine | a rebuilt table or view is | what readers see meanwhile | a failing `post_hook` leaves | `merge` runs as | the run lock keeps apart |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, name := range reg.Names() {
		e, _ := reg.Lookup(name)
		c := e.Caps
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", name, c.Replace(), c.ReaderView(), c.HookFailure(), c.MergeAs(), c.RunLock())
	}
	return b.String()
}
