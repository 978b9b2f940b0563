package seedfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLongRecordLine(t *testing.T) {
	long := strings.Repeat("x", 20)
	for _, tc := range []struct {
		name, text string
		want       int
	}{
		{"none", "id,t\n1,a\n2,b\n", 0},
		{"third line", "id,t\n1,a\n2," + long + "\n3,c\n", 3},
		{"last line without newline", "id,t\n1,a\n2," + long, 3},
		{"quoted value over lines starts the record", "id,t\n1,\"a\nb\n" + long + "\"\n2,c\n", 2},
		{"escaped quotes stay inside", "id,t\n1,\"a\"\"\nb\"\n2," + long + "\n", 4},
		{"exactly the limit", "id,t\n1," + strings.Repeat("x", 8) + "\n", 0},
	} {
		file := filepath.Join(t.TempDir(), "a.csv")
		if err := os.WriteFile(file, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := longRecordLine(file, 10); got != tc.want {
			t.Errorf("%s: line %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := longRecordLine(filepath.Join(t.TempDir(), "missing.csv"), 10); got != 0 {
		t.Errorf("missing file: line %d", got)
	}
	if got := longRecordLine(os.DevNull, 10); got != 0 {
		t.Errorf("%s: line %d", os.DevNull, got)
	}
}
