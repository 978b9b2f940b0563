package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/convert"
)

func (e *env) convertCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "convert-dbt",
		Usage:     "convert a dbt project (Jinja models, macros, tests, seeds, snapshots, dbt_project.yml, profiles.yml) into an ingot project",
		ArgsUsage: "DBT_PROJECT_DIR",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "folder for the ingot project (default: DBT_PROJECT_DIR-ingot); must not exist or be empty"},
			&ucli.StringFlag{Name: "profiles-dir", Usage: "folder holding the dbt profiles.yml (default: DBT_PROJECT_DIR)"},
		},
		Action: e.convertCmd,
	}
}

func (e *env) convertCmd(c *ucli.Context) error {
	flags := map[string]string{"out": c.String("out"), "profiles-dir": c.String("profiles-dir")}
	// Flags after DIR are arguments to urfave/cli; read them as flags too.
	var pos []string
	args := c.Args().Slice()
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if name == "o" {
			name = "out"
		}
		if _, ok := flags[name]; !ok || !strings.HasPrefix(args[i], "-") {
			pos = append(pos, args[i])
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return &usageError{msg: fmt.Sprintf("flag --%s needs a value", name)}
			}
			i++
			val = args[i]
		}
		flags[name] = val
	}
	if len(pos) != 1 {
		return &usageError{msg: "convert-dbt takes the dbt project folder: ingot convert-dbt DIR [--out NEW_DIR]"}
	}
	src := filepath.Clean(pos[0])
	dst := flags["out"]
	if dst == "" {
		dst = src + "-ingot"
	}
	res, err := convert.Convert(c.Context, convert.Options{Src: src, Dst: dst, ProfilesDir: flags["profiles-dir"], Engines: e.engines})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Converted %s into %s (%d files)\n", src, dst, len(res.Written))
	if len(res.Todo) == 0 {
		fmt.Fprintln(e.stdout, "Nothing needs a person: run ingot build --project-dir "+dst)
		return nil
	}
	fmt.Fprintf(e.stdout, "%d places need a person (in %s, or in the dbt file that has no counterpart there):\n", len(res.Todo), dst)
	for _, t := range res.Todo {
		fmt.Fprintf(e.stdout, "  %s\n", t)
		if t.Text != "" {
			fmt.Fprintf(e.stdout, "      %s\n", strings.TrimSpace(t.Text))
		}
	}
	return &exitError{code: ExitFailure}
}
