package diag

import (
	"regexp"
	"strconv"
	"strings"
)

// text/template errors read "template: NAME:LINE:COL: rest" (COL optional;
// exec errors add `executing "NAME" at <...>: `). Templates are named by
// their project-relative path, so NAME is the file to point at.
var tmplErrRe = regexp.MustCompile(`^template: ([^:]+):(\d+)(?::(\d+))?: (.*)$`)
var execAtRe = regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: (.*)$`)
var callingRe = regexp.MustCompile(`^error calling [A-Za-z0-9_]+: `)

// FromTemplate converts a text/template error into a located Error. source
// returns a file's content by template name (nil when unknown); from names
// the file being rendered, mentioned when the error is in another file
// (a macro).
func FromTemplate(err error, from string, source func(name string) []byte) *Error {
	msg := err.Error()
	first := strings.SplitN(msg, "\n", 2)[0]
	m := tmplErrRe.FindStringSubmatch(first)
	if m == nil {
		return &Error{File: from, Msg: strings.TrimPrefix(msg, "template: "), Err: err}
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	if m[3] != "" {
		col++ // text/template counts columns from 0
	}
	rest := m[4]
	if e := execAtRe.FindStringSubmatch(rest); e != nil {
		rest = callingRe.ReplaceAllString(e[2], "")
	}
	if m[1] != from && from != "" {
		rest += " (while rendering " + from + ")"
	}
	var src []byte
	if source != nil {
		src = source(m[1])
	}
	return &Error{File: m[1], Line: line, Col: col, Msg: rest, Source: LineOf(src, line), Err: err}
}
