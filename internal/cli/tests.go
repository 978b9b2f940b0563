package cli

import (
	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
)

func addTests(m *compile.Manifest) error { return nil }

func newTester(s *session, a adapter.Adapter) run.Tester { return nil }
