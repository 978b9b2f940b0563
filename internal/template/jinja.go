package template

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/jinja"
)

// Jinja in an ingot template would compile to text the engine later fails
// on (or, in a comment, silently runs): dbt users' habits are reported
// where they are written, with the Go-template spelling of the same thing.

// jinjaStmtRe matches a Jinja statement or comment opening in template
// text; a statement must start with one of Jinja's keywords so that SQL
// such as like '{%' is left alone.
var jinjaStmtRe = regexp.MustCompile(`\{%-?\s*(if|elif|else|endif|for|endfor|set|endset|macro|endmacro|test|endtest|call|endcall|do|raw|endraw|filter|endfilter|materialization|snapshot|endsnapshot|docs|enddocs|include|import|from)\b|\{#`)

// findJinja lists the Jinja statements and comments in the text of src
// (outside {{ }} actions).
func findJinja(name string, src []byte) diag.List {
	// Nearly every file has neither opening: skip the scan and the regexp.
	if !bytes.Contains(src, []byte("{%")) && !bytes.Contains(src, []byte("{#")) {
		return nil
	}
	var errs diag.List
	s := string(src)
	for off := 0; off < len(s); {
		act := strings.Index(s[off:], "{{")
		end := len(s)
		if act >= 0 {
			end = off + act
		}
		for _, m := range jinjaStmtRe.FindAllStringIndex(s[off:end], -1) {
			start := off + m[0]
			closer := "%}"
			if strings.HasPrefix(s[start:], "{#") {
				closer = "#}"
			}
			stop := strings.Index(s[start:], closer)
			if stop < 0 {
				continue
			}
			tag := s[start : start+stop+2]
			line, col := lineCol(src, start)
			errs.Add(diag.At(name, src, line, col, "%s", jinjaMsg(tag)))
		}
		if act < 0 {
			break
		}
		close := strings.Index(s[end:], "}}")
		if close < 0 {
			break
		}
		off = end + close + 2
	}
	return errs
}

func jinjaMsg(tag string) string {
	short := tag
	if i := strings.IndexByte(short, '\n'); i >= 0 {
		short = short[:i] + " …"
	}
	what := "statement"
	if strings.HasPrefix(tag, "{#") {
		what = "comment"
	}
	msg := fmt.Sprintf("Jinja %s %s: ingot templates are Go text/template", what, short)
	if what == "comment" {
		return msg + `; write {{/* … */}}`
	}
	if g, ok := jinja.Suggest(tag); ok {
		return msg + "; write " + g
	}
	return msg + "; see README (Templates) for the Go-template spelling, or run ingot convert-dbt on the dbt project"
}

func lineCol(src []byte, off int) (int, int) {
	line := bytes.Count(src[:off], []byte("\n")) + 1
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// jinjaHint adds the Go-template spelling to a parse error caused by a
// Jinja expression such as {{ ref('orders') }}.
func jinjaHint(d *diag.Error) {
	if d == nil || d.Source == "" || !strings.ContainsAny(d.Source, "('") {
		return
	}
	line := d.Source
	for off := 0; ; {
		i := strings.Index(line[off:], "{{")
		if i < 0 {
			return
		}
		start := off + i
		j := strings.Index(line[start:], "}}")
		if j < 0 {
			return
		}
		act := line[start : start+j+2]
		off = start + j + 2
		if d.Col > 0 && (d.Col-1 < start || d.Col-1 > off) {
			continue
		}
		if !strings.ContainsAny(act, "('") {
			continue
		}
		if g, ok := jinja.Suggest(act); ok && g != act {
			d.Msg += fmt.Sprintf("; %s looks like Jinja: in Go templates write %s", act, g)
		}
		return
	}
}
