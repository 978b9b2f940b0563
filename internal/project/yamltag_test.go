package project

import (
	"strings"
	"testing"
)

// A tagged scalar where a list is expected made go-yaml panic; it must be
// an error at the tag instead.
func TestTaggedScalarForList(t *testing.T) {
	for _, tc := range []struct{ src, at string }{
		{"name: p\nmodel-paths: !!str models\n", "project.yml:2:14:"},
		{"name: p\nclean-targets: !mine target\n", "project.yml:2:16:"},
		{"clean-targets: !00000000000 00", "project.yml:1:16:"},
	} {
		var pf projectFileYAML
		err := decodeProjectFile([]byte(tc.src), &pf)
		if err == nil {
			t.Errorf("%q decoded without an error", tc.src)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, tc.at) || !strings.Contains(msg, "without a YAML tag") {
			t.Errorf("%q: error %q, want it at %s saying to drop the tag", tc.src, msg, tc.at)
		}
	}
	// A tag where it decodes stays allowed.
	var pf projectFileYAML
	if err := decodeProjectFile([]byte("name: p\nvars: {code: !!str 007}\n"), &pf); err != nil {
		t.Errorf("!!str in vars: %v", err)
	}
}
