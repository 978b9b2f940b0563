package diag

import (
	"regexp"
	"strings"
)

// actionRe matches one template action on a line, {{ ... }}.
var actionRe = regexp.MustCompile(`\{\{.*?\}\}`)

// SourceLine maps line n of compiled SQL back to the line of the template
// src it came from: the line of src whose literal text, with each {{ ... }}
// standing for anything, gives that compiled line. It reports false when
// no line or several lines of src fit (SQL written by a macro, or the same
// text twice).
func SourceLine(compiled string, n int, src []byte) (int, bool) {
	target := strings.TrimSpace(LineOf([]byte(compiled), n))
	if target == "" {
		return 0, false
	}
	found := 0
	for i, line := range strings.Split(string(src), "\n") {
		re := linePattern(line)
		if re != nil && re.MatchString(target) {
			if found != 0 {
				return 0, false
			}
			found = i + 1
		}
	}
	return found, found != 0
}

// linePattern turns a template line into a pattern for the compiled line:
// actions match anything, white space matches any white space (trimming
// actions remove some). Lines with a part of a multi-line action, lines
// with fewer than three literal characters, and lines that are not valid
// UTF-8 give nil.
func linePattern(line string) *regexp.Regexp {
	lits := actionRe.Split(line, -1)
	var parts []string
	chars := 0
	for _, lit := range lits {
		if strings.Contains(lit, "{{") || strings.Contains(lit, "}}") {
			return nil
		}
		fields := strings.Fields(lit)
		for i, f := range fields {
			chars += len(f)
			fields[i] = regexp.QuoteMeta(f)
		}
		parts = append(parts, strings.Join(fields, `\s*`))
	}
	if chars < 3 {
		return nil
	}
	re, err := regexp.Compile(`^\s*` + strings.Join(parts, `.*?`) + `\s*$`)
	if err != nil {
		return nil // not valid UTF-8: no SQL line to find
	}
	return re
}
