// Package diag carries errors that point at a place in the user's project:
// a file, a line and a column, plus the offending source line. Every phase
// collects all of its problems as a List so the user sees them at once.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is one problem located in a project file. Line and Col are 1-based;
// zero means unknown.
type Error struct {
	File   string // project-relative path with forward slashes
	Line   int
	Col    int
	Msg    string
	Source string // the offending line of the file, when known
	Err    error  // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	if e.File != "" {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Snippet renders the offending line with a caret under the column, or ""
// when the source line is unknown.
func (e *Error) Snippet() string {
	if e.Source == "" {
		return ""
	}
	line := strings.ReplaceAll(e.Source, "\t", " ")
	s := fmt.Sprintf("%5d | %s", e.Line, line)
	if e.Col > 0 && e.Col <= len(line)+1 {
		s += "\n      | " + strings.Repeat(" ", e.Col-1) + "^"
	}
	return s
}

// At builds an Error for file at line:col, taking the source line from src.
func At(file string, src []byte, line, col int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Source: LineOf(src, line)}
}

// LineOf returns line n (1-based) of src without its newline.
func LineOf(src []byte, n int) string {
	if n <= 0 {
		return ""
	}
	for i := 1; len(src) > 0; i++ {
		j := strings.IndexByte(string(src), '\n')
		var line []byte
		if j < 0 {
			line, src = src, nil
		} else {
			line, src = src[:j], src[j+1:]
		}
		if i == n {
			return strings.TrimRight(string(line), "\r")
		}
	}
	return ""
}

// List is a set of problems found in one phase.
type List []error

// Add appends err (flattening nested Lists); nil is ignored.
func (l *List) Add(err error) {
	if err == nil {
		return
	}
	if sub, ok := err.(List); ok {
		*l = append(*l, sub...)
		return
	}
	*l = append(*l, err)
}

// Err returns nil when the list is empty, the list otherwise, sorted by
// file and position so output is stable.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := locOf(l[i]), locOf(l[j])
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

func locOf(err error) Error {
	var d *Error
	if errors.As(err, &d) {
		return *d
	}
	return Error{}
}

func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.Is/As see every problem.
func (l List) Unwrap() []error { return l }

// Flatten returns the individual problems of err (a List or a single error).
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	var l List
	if errors.As(err, &l) {
		var out []error
		for _, e := range l {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}
