package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/cli"
)

// TestExampleQuarantineHistory builds the example project's quarantine
// snapshot over three load dates and compares its versions with a
// hand-checked fixture (testdata/quarantine_history.csv): customers entering
// quarantine get a version from their send, a later send on the same
// channel ends the earlier version, and a customer leaving quarantine (a
// hard delete from gold.quarantine_current) has its version invalidated by
// the load that no longer sees it.
func TestExampleQuarantineHistory(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"project.yml", "profiles.yml", "models", "seeds", "macros", "tests", "snapshots"} {
		if err := os.CopyFS(filepath.Join(dir, f), os.DirFS(filepath.Join("..", "..", f))); err != nil {
			if err := copyFile(filepath.Join("..", "..", f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ingot := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"ingot", "--project-dir", dir, "--no-color"}, args...), nil, &out, &errb)
		if code != 0 {
			t.Fatalf("ingot %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	var loads []string
	for _, day := range []string{"2024-05-28", "2024-05-29", "2024-05-30"} {
		loads = append(loads, time.Now().UTC().Format("2006-01-02 15:04:05.000000"))
		ingot("build", "-s", "+quarantine_history", "--vars", "{data_carga: "+day+"}")
	}
	// A hard delete ends a version at the time of the run that saw the row
	// gone: name the load instead of that time.
	got := ingot("show", "--output", "csv", "--limit", "-1", "--inline", `
select id_cliente, canal, cast(data_envio as date) as data_envio,
  cast(dbt_valid_from as date) as valid_from,
  case
    when dbt_valid_to is null then ''
    when dbt_valid_to >= cast('`+loads[2]+`' as timestamp) then 'deleted by load 3'
    when dbt_valid_to >= cast('`+loads[1]+`' as timestamp) then 'deleted by load 2'
    else cast(cast(dbt_valid_to as date) as varchar)
  end as valid_to
from {{ ref "quarantine_history" }}
order by id_cliente, canal, dbt_valid_from`)
	want, err := os.ReadFile(filepath.Join("testdata", "quarantine_history.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("snapshots.quarantine_history after three loads:\n%s\nwant (testdata/quarantine_history.csv):\n%s", got, want)
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
