// Package textutil holds small string helpers shared by several phases.
package textutil

import (
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate closest to name by edit distance, for "did you
// mean" hints, or "" when nothing is close enough (at most a third of the
// name's length, and at least one edit, is allowed). A case-insensitive
// equal wins; ties go to the alphabetically first candidate.
func Suggest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	limit := max(1, utf8.RuneCountInString(name)/3)
	best, bestDist := "", limit+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := levenshtein(lower, strings.ToLower(c), bestDist)
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b, or any value > limit when
// it exceeds limit (which lets long candidate lists be skipped cheaply).
func levenshtein(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Levenshtein is the edit distance between a and b.
func Levenshtein(a, b string) int {
	return levenshtein(a, b, max(len(a), len(b)))
}
