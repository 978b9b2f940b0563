package cli

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/ingot-dev/ingot/internal/compile"
)

func (e *env) runCommands() []*ucli.Command { return nil }

func addTests(m *compile.Manifest) error { return nil }
