package textutil

import "testing"

func TestSuggest(t *testing.T) {
	cands := []string{"silver_sales", "silver_products", "gold_sales"}
	tests := []struct{ in, want string }{
		{"slver_sales", "silver_sales"},
		{"silver_sale", "silver_sales"},
		{"gold_sale", "gold_sales"},
		{"completely_different", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in, cands); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"abc", "abc", 0}}
	for _, tt := range tests {
		if got := Levenshtein(tt.a, tt.b); got != tt.d {
			t.Errorf("Levenshtein(%q,%q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}
