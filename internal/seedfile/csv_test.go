package seedfile

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDelimiterOf(t *testing.T) {
	tests := []struct {
		in   string
		want rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\n1,5;2;3\n", ';'},
		{"a\tb\n", '\t'},
		{"a|b|c\n", '|'},
		{"\ufeffa;b\n", ';'},
		{`"x,y";b;c` + "\n", ';'},
		{"single\n1\n", ','},
		{"", ','},
		{`"unterminated,a;b`, ','},
	}
	for _, tt := range tests {
		if got := delimiterOf([]byte(tt.in)); got != tt.want {
			t.Errorf("delimiterOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDelimiterOf(f *testing.F) {
	for _, s := range []string{"a,b\n", "a;b;c\n", "\"q\"\"x\";y\n", "", "\ufeff|\t"} {
		f.Add([]byte(s), uint8(0), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, pick, n uint8) {
		got := delimiterOf(data)
		ok := false
		for _, c := range delimiterCandidates {
			ok = ok || got == c
		}
		if !ok {
			t.Fatalf("delimiterOf(%q) = %q, not a candidate", data, got)
		}
		// A header of plain names joined by a candidate is always detected.
		c := rune(delimiterCandidates[int(pick)%len(delimiterCandidates)])
		fields := int(n)%6 + 2
		var names []string
		for i := range fields {
			names = append(names, "col"+strings.Repeat("x", i))
		}
		header := strings.Join(names, string(c)) + "\n" + string(data)
		if !utf8.ValidString(header) {
			return
		}
		if got := delimiterOf([]byte(header)); got != c {
			t.Fatalf("delimiterOf(%q) = %q, want %q", header, got, c)
		}
	})
}
