// Package jinja reads the part of Jinja that dbt projects use and spells
// it as ingot's Go templates: it splits a file into text, {{ expressions }},
// {% statements %} and {# comments #}, parses expressions, and translates
// what has a Go-template equivalent. It knows nothing of files or projects.
package jinja

import (
	"fmt"
	"strings"
)

// Kind is the kind of a Segment.
type Kind int

// Segment kinds.
const (
	Text Kind = iota
	Expr
	Stmt
	Comment
)

// Segment is one piece of a Jinja source.
type Segment struct {
	Kind      Kind
	Raw       string // the segment as written, delimiters included
	Body      string // inside the delimiters, without - markers, trimmed
	TrimLeft  bool   // {%- / {{- : strip whitespace before
	TrimRight bool   // -%} / -}} : strip whitespace after
	Line, Col int    // 1-based start
}

// Error is a problem at a place in a source.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Lex splits src into segments. {% raw %}…{% endraw %} becomes text.
func Lex(src string) ([]Segment, error) {
	var out []Segment
	line, col := 1, 1
	advance := func(s string) {
		for _, r := range s {
			if r == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
	}
	for len(src) > 0 {
		i := openIndex(src)
		if i < 0 {
			out = append(out, Segment{Kind: Text, Raw: src, Body: src, Line: line, Col: col})
			break
		}
		if i > 0 {
			out = append(out, Segment{Kind: Text, Raw: src[:i], Body: src[:i], Line: line, Col: col})
			advance(src[:i])
			src = src[i:]
		}
		kind, closer := Expr, "}}"
		switch src[1] {
		case '%':
			kind, closer = Stmt, "%}"
		case '#':
			kind, closer = Comment, "#}"
		}
		end := closeIndex(src[2:], closer, kind != Comment)
		if end < 0 {
			return out, &Error{Line: line, Col: col, Msg: fmt.Sprintf("%s is never closed with %s", src[:2], closer)}
		}
		raw := src[:2+end+2]
		inner := raw[2 : len(raw)-2]
		seg := Segment{Kind: kind, Raw: raw, Line: line, Col: col}
		if strings.HasPrefix(inner, "-") || strings.HasPrefix(inner, "+") {
			seg.TrimLeft = inner[0] == '-'
			inner = inner[1:]
		}
		if strings.HasSuffix(inner, "-") || strings.HasSuffix(inner, "+") {
			seg.TrimRight = inner[len(inner)-1] == '-'
			inner = inner[:len(inner)-1]
		}
		seg.Body = strings.TrimSpace(inner)
		advance(raw)
		src = src[len(raw):]
		if kind == Stmt && seg.Body == "raw" {
			j := strings.Index(src, "endraw")
			k := -1
			if j >= 0 {
				k = strings.Index(src[j:], "%}")
			}
			start := strings.LastIndex(src[:max(j, 0)], "{%")
			if j < 0 || k < 0 || start < 0 {
				return out, &Error{Line: seg.Line, Col: seg.Col, Msg: "{% raw %} is never closed with {% endraw %}"}
			}
			body := src[:start]
			out = append(out, Segment{Kind: Text, Raw: body, Body: body, Line: line, Col: col})
			advance(src[:j+k+2])
			src = src[j+k+2:]
			continue
		}
		out = append(out, seg)
	}
	return out, nil
}

// openIndex finds the next {{, {% or {#.
func openIndex(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && (s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			return i
		}
	}
	return -1
}

// closeIndex finds closer in s, skipping quoted strings when quotes is set.
func closeIndex(s, closer string, quotes bool) int {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if q != 0 {
			if c == '\\' {
				i++
			} else if c == q {
				q = 0
			}
			continue
		}
		if quotes && (c == '\'' || c == '"') {
			q = c
			continue
		}
		if strings.HasPrefix(s[i:], closer) {
			return i
		}
	}
	return -1
}
