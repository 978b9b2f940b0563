package seedfile

import "testing"

func TestFormatKind(t *testing.T) {
	tests := []struct {
		code string
		want dateKind
	}{
		{"General", notDate},
		{"0.00", notDate},
		{"#,##0.00 \"EUR\"", notDate},
		{"0.00E+00", notDate},
		{"[Red]0.00;[Blue]-0.00", notDate},
		{"yyyy-mm-dd", dateOnly},
		{"dd/mm/yyyy", dateOnly},
		{"mmm yy", dateOnly},
		{"hh:mm:ss", timeOnly},
		{"h:mm AM/PM", timeOnly},
		{"mm:ss", timeOnly},
		{"[h]:mm", notDate},
		{"[Red]hh:mm", timeOnly},
		{"yyyy-mm-dd hh:mm", dateTime},
		{`"day "0`, notDate},
		{`\d0`, notDate},
		{"_(0_)", notDate},
		{"0;[Red]yyyy", notDate},
	}
	for _, tt := range tests {
		if got := formatKind(tt.code); got != tt.want {
			t.Errorf("formatKind(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func FuzzFormatKind(f *testing.F) {
	for _, s := range []string{"yyyy-mm-dd", `"a`, `\`, "[", "h:mm AM/PM", "_", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if k := formatKind(code); k < notDate || k > dateTime {
			t.Fatalf("formatKind(%q) = %v", code, k)
		}
	})
}

func TestPlainNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{42, "42"},
		{1.5, "1.5"},
		{0.1 + 0.2, "0.3"},
		{1e20, "100000000000000000000"},
		{-3.25, "-3.25"},
		{123456789012, "123456789012"},
	}
	for _, tt := range tests {
		if got := plainNumber(tt.in); got != tt.want {
			t.Errorf("plainNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuiltinKind(t *testing.T) {
	tests := map[int]dateKind{0: notDate, 2: notDate, 14: dateOnly, 20: timeOnly, 22: dateTime, 45: timeOnly, 49: notDate}
	for id, want := range tests {
		if got := builtinKind(id); got != want {
			t.Errorf("builtinKind(%d) = %v, want %v", id, got, want)
		}
	}
}
