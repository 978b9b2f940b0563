package diag

import "testing"

func TestSourceLine(t *testing.T) {
	src := "{{- /* A model.\n   Two comment lines. */ -}}\n{{ config \"materialized\" \"table\" }}\nselect\n  id,\n  no_such_col as c,\n  {{ cast_text \"x\" }} as x\nfrom {{ ref \"src\" }}\nwhere id > 0\n  and id > 0\n  and id > 0\n{{ macro_select }}\n"
	compiled := "\n\nselect\n  id,\n  no_such_col as c,\n  cast(x as varchar) as x\nfrom \"main\".\"src\"\nwhere id > 0\n  and id > 0\n  and id > 0\nselect 1\n"
	tests := []struct {
		name string
		line int
		want int
		ok   bool
	}{
		{"literal line", 5, 6, true},
		{"line with an action", 7, 8, true},
		{"line partly made by a macro", 6, 7, true},
		{"line made by a macro only", 11, 0, false},
		{"text repeated in the source", 9, 0, false},
		{"line past the SQL", 99, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SourceLine(compiled, tt.line, []byte(src))
			if got != tt.want || ok != tt.ok {
				t.Errorf("SourceLine = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzSourceLine(f *testing.F) {
	f.Add(2, "x\na b\n", "a {{ b }}\n")
	f.Add(1, "{{\n", "{{ {{ }}\n")
	f.Fuzz(func(t *testing.T, line int, compiled, src string) {
		n, ok := SourceLine(compiled, line, []byte(src))
		if ok && n < 1 {
			t.Errorf("line %d reported as found", n)
		}
	})
}
