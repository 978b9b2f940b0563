package project

import (
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Most property files are written in a small part of YAML: block
// mappings and lists, one scalar per line, one-line flow collections
// such as tests: [not_null, {accepted_values: {values: [a, b]}}], and
// descriptions as block scalars (> or |). go-yaml's scanner and parser
// were a quarter of the CPU time of ingot ls on a project of 10,000
// models, so fastParse reads that
// part itself, building the syntax tree go-yaml's parser builds (the same
// node types, scalar types and line:column of every node the decoder
// looks at), and gives up on anything else: anchors, aliases, tags,
// escapes, strings or flow collections over several lines, a null
// written as nothing, tabs, and whatever else it does not recognise.
// decodeProps then parses the file with go-yaml, so giving up only costs
// the time spent so far. The tests compare both on every YAML file of
// the repository and under fuzzing.

// fastLine is one line of the file.
type fastLine struct {
	num     int // 1-based
	indent  int // leading spaces
	text    string
	content bool // neither blank nor only a comment
}

type fastParser struct {
	lines []fastLine
	i     int // the current line
	ok    bool
	// endsNL: the last line ends with a line break, which a block
	// scalar ending there keeps.
	endsNL bool
}

// fastParse returns the body of the single document in src, or false
// when src is not in the part of YAML it reads.
func fastParse(src []byte) (ast.Node, bool) {
	p := &fastParser{ok: true}
	// go-yaml reads the text as characters, replacing invalid UTF-8.
	if !utf8.Valid(src) || !p.split(string(src)) {
		return nil, false
	}
	l := p.peek()
	if l == nil || l.indent != 0 {
		return nil, false
	}
	n := p.block(0)
	if !p.ok || p.peek() != nil {
		return nil, false
	}
	return n, true
}

// split cuts s into lines; false for what fastParse never reads (tabs,
// carriage returns, document markers and directives).
func (p *fastParser) split(s string) bool {
	p.lines = make([]fastLine, 0, strings.Count(s, "\n")+1)
	p.endsNL = strings.HasSuffix(s, "\n")
	for num := 1; len(s) > 0; num++ {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if strings.ContainsAny(line, "\t\r") {
			return false
		}
		text := strings.TrimLeft(line, " ")
		indent := len(line) - len(text)
		content := text != "" && text[0] != '#'
		if content && indent == 0 && (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || text[0] == '%') {
			return false
		}
		p.lines = append(p.lines, fastLine{num: num, indent: indent, text: text, content: content})
	}
	return true
}

// peek moves past blank and comment lines and returns the current line,
// nil at the end.
func (p *fastParser) peek() *fastLine {
	for p.i < len(p.lines) && !p.lines[p.i].content {
		p.i++
	}
	if p.i == len(p.lines) {
		return nil
	}
	return &p.lines[p.i]
}

func (p *fastParser) fail() ast.Node {
	p.ok = false
	return nil
}

func isEntry(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block reads the mapping or list starting at the current line, whose
// indentation is ind.
func (p *fastParser) block(ind int) ast.Node {
	l := p.peek()
	if l == nil || l.indent != ind {
		return p.fail()
	}
	if isEntry(l.text) {
		return p.list(ind)
	}
	return p.mapping(ind)
}

// keyEnd is the length of the key at the start of text when text is
// "key:" or "key: ..." with a key of letters, digits, _ and - that
// starts with a letter or _, else 0.
func keyEnd(text string) int {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '-':
			if i == 0 {
				return 0
			}
		case c == ':':
			if i > 0 && (i+1 == len(text) || text[i+1] == ' ') {
				return i
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}

// reservedWords are the plain scalars starting with a letter that are
// not strings to go-yaml (see token.New).
var reservedWords = map[string]bool{"null": true, "Null": true, "NULL": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true}

func pos(line, col int) *token.Position { return &token.Position{Line: line, Column: col} }

// colAt is the column of s[i] when s starts at column col: go-yaml
// counts columns in characters.
func colAt(s string, i, col int) int { return col + utf8.RuneCountInString(s[:i]) }

// mapping reads the keys at indentation ind.
func (p *fastParser) mapping(ind int) ast.Node {
	var m *ast.MappingNode
	var keys []string
	for p.ok {
		l := p.peek()
		if l == nil || l.indent < ind || (l.indent == ind && isEntry(l.text)) {
			break
		}
		k := keyEnd(l.text)
		if l.indent > ind || k == 0 {
			return p.fail()
		}
		key := l.text[:k]
		for _, seen := range keys {
			if seen == key {
				return p.fail() // go-yaml's message, not ours
			}
		}
		keys = append(keys, key)
		if reservedWords[key] {
			return p.fail()
		}
		keyNode := ast.String(token.String(key, key, pos(l.num, ind+1)))
		colon := token.MappingValue(pos(l.num, ind+k+1))
		rest := strings.TrimLeft(l.text[k+1:], " ")
		num, col := l.num, ind+1+len(l.text)-len(rest)
		p.i++
		var value ast.Node
		switch next := p.peek(); {
		case rest != "" && rest[0] != '#':
			value = p.inline(rest, num, col, ind)
		case next != nil && next.indent > ind:
			value = p.block(next.indent)
		case next != nil && next.indent == ind && isEntry(next.text):
			value = p.list(ind) // a list may sit at its key's indentation
		default:
			return p.fail() // null: go-yaml places it by rules of its own
		}
		if !p.ok {
			return nil
		}
		mv := ast.MappingValue(colon, keyNode, value)
		if m == nil {
			m = ast.Mapping(colon, false, mv)
		} else {
			m.Values = append(m.Values, mv)
		}
	}
	if m == nil {
		return p.fail()
	}
	return m
}

// list reads the entries ("- ...") at indentation ind.
func (p *fastParser) list(ind int) ast.Node {
	var seq *ast.SequenceNode
	for p.ok {
		l := p.peek()
		if l == nil || l.indent != ind || !isEntry(l.text) {
			break
		}
		if seq == nil {
			seq = ast.Sequence(token.SequenceEntry("-", pos(l.num, ind+1)), false)
		}
		content := strings.TrimLeft(l.text[1:], " ")
		col := ind + len(l.text) - len(content) // 0-based
		var v ast.Node
		switch {
		case content == "" || content[0] == '#' || isEntry(content):
			return p.fail()
		case keyEnd(content) > 0:
			// "- key: value" starts a mapping whose keys line up with key.
			*l = fastLine{num: l.num, indent: col, text: content, content: true}
			v = p.mapping(col)
		default:
			p.i++
			v = p.inline(content, l.num, col+1, ind)
		}
		if !p.ok {
			return nil
		}
		seq.Values = append(seq.Values, v)
	}
	if seq == nil {
		return p.fail()
	}
	return seq
}

// inline reads the value that makes up the rest of a line (s, starting at
// 1-based column col), a trailing comment allowed, or a block scalar
// starting there; ind is the indentation of the key or entry it belongs
// to, which the following lines must not exceed.
func (p *fastParser) inline(s string, line, col, ind int) ast.Node {
	var n ast.Node
	switch s[0] {
	case '|', '>':
		return p.blockScalar(s, line, col, ind)
	case '[', '{', '\'', '"':
		var rest string
		n, rest = p.flow(s, 0, line, col)
		if !p.ok || !onlyComment(rest) {
			return p.fail()
		}
	default:
		v, rest := plain(s, false)
		if v == "" || (rest != "" && rest[0] != '#') || (rest == "" && strings.HasSuffix(s, " ")) {
			return p.fail() // go-yaml moves a value that ends in spaces right by as many
		}
		n = scalarNode(v, line, col)
	}
	if l := p.peek(); l != nil && l.indent > ind {
		return p.fail() // the value goes on over the next line
	}
	return n
}

// onlyComment reports whether rest, after a value, holds nothing or a
// comment.
func onlyComment(rest string) bool {
	t := strings.TrimLeft(rest, " ")
	return t == "" || (t[0] == '#' && len(t) < len(rest))
}

// plain splits a plain scalar off the start of s; v is "" when s does not
// start with one fastParse reads. In a flow collection the scalar ends at
// a comma or bracket.
func plain(s string, flow bool) (v, rest string) {
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`~", s[0]) >= 0 && !(s[0] == '-' && len(s) > 1 && s[1] != ' ') {
		return "", s // an indicator; - starts a number such as -10
	}
	end := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#' && s[i-1] == ' ':
			end = i
		case flow && (c == ',' || c == ']' || c == '}'):
			end = i
		case c == ':' || c == '[' || c == ']' || c == '{' || c == '}':
			return "", s
		default:
			continue
		}
		break
	}
	return strings.TrimRight(s[:end], " "), s[end:]
}

// flow reads one flow value from s[i:] on line (s starts at 1-based
// column col): a list, a mapping, a quoted string or a plain scalar; it
// returns the rest of s after it.
func (p *fastParser) flow(s string, i, line, col int) (ast.Node, string) {
	switch s[i] {
	case '\'', '"':
		return p.quoted(s[i:], line, colAt(s, i, col))
	case '[', '{':
		return p.collection(s, i, line, col)
	}
	v, rest := plain(s[i:], true)
	if v == "" {
		p.fail()
		return nil, ""
	}
	return scalarNode(v, line, colAt(s, i, col)), rest
}

// collection reads a flow list or mapping opening at s[i].
func (p *fastParser) collection(s string, i, line, col int) (ast.Node, string) {
	isMap := s[i] == '{'
	closer := byte(']')
	var seq *ast.SequenceNode
	var m *ast.MappingNode
	if isMap {
		closer = '}'
		m = ast.Mapping(token.MappingStart("{", pos(line, colAt(s, i, col))), true)
	} else {
		seq = ast.Sequence(token.SequenceStart("[", pos(line, colAt(s, i, col))), true)
	}
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	i++
	skip()
	if i < len(s) && s[i] == closer {
		return p.closeCollection(seq, m, line, colAt(s, i, col)), s[i+1:]
	}
	var keys []string
	for p.ok && i < len(s) {
		if isMap {
			k := keyEnd(s[i:])
			if k == 0 || reservedWords[s[i:i+k]] || i+k+1 == len(s) {
				break
			}
			key := s[i : i+k]
			for _, seen := range keys {
				if seen == key {
					p.fail()
					return nil, ""
				}
			}
			keys = append(keys, key)
			keyNode := ast.String(token.String(key, key, pos(line, colAt(s, i, col))))
			colon := token.MappingValue(pos(line, colAt(s, i+k, col)))
			i += k + 1
			skip()
			if i == len(s) || s[i] == ',' || s[i] == '}' || s[i] == '#' {
				break // a null value
			}
			v, rest := p.flow(s, i, line, col)
			if !p.ok {
				return nil, ""
			}
			m.Values = append(m.Values, ast.MappingValue(colon, keyNode, v))
			i = len(s) - len(rest)
		} else {
			v, rest := p.flow(s, i, line, col)
			if !p.ok {
				return nil, ""
			}
			seq.Values = append(seq.Values, v)
			i = len(s) - len(rest)
		}
		skip()
		if i < len(s) && s[i] == closer {
			return p.closeCollection(seq, m, line, colAt(s, i, col)), s[i+1:]
		}
		if i == len(s) || s[i] != ',' {
			break
		}
		i++
		skip()
	}
	p.fail() // multi-line, a trailing comma, a null or anything unusual
	return nil, ""
}

func (p *fastParser) closeCollection(seq *ast.SequenceNode, m *ast.MappingNode, line, col int) ast.Node {
	if m != nil {
		m.End = token.MappingEnd("}", pos(line, col))
		return m
	}
	seq.End = token.SequenceEnd("]", pos(line, col))
	return seq
}

// quoted reads a single- or double-quoted scalar that ends on its line
// (double-quoted ones without escapes).
func (p *fastParser) quoted(s string, line, col int) (ast.Node, string) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && q == '"':
			p.fail()
			return nil, ""
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			org, v := s[:i+1], b.String()
			if q == '\'' {
				return ast.String(token.SingleQuote(v, org, pos(line, col))), s[i+1:]
			}
			return ast.String(token.DoubleQuote(v, org, pos(line, col))), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	p.fail() // the string goes on past the line
	return nil, ""
}

// blockScalar reads a | or > scalar (with - or no chomping indicator)
// whose header is s, on line at col, belonging to a key or entry at
// indentation ind. Folded text must not hold more-indented lines, no
// line may end in spaces, and no blank line may come first or hold more
// spaces than the text's indentation: those are left to go-yaml.
func (p *fastParser) blockScalar(s string, line, col, ind int) ast.Node {
	header := strings.TrimRight(s, " ")
	if header != "|" && header != "|-" && header != ">" && header != ">-" {
		return p.fail()
	}
	p.i = line        // the index of the line after the header
	var body []string // the lines, without the text's indentation
	textInd := -1
	blank := 0 // blank lines since the last text line
	last := 0  // index of the last text line
	for ; p.i < len(p.lines); p.i++ {
		l := p.lines[p.i]
		if l.text == "" {
			if textInd < 0 || l.indent > textInd {
				return p.fail()
			}
			blank++
			continue
		}
		if textInd < 0 {
			if l.indent <= ind {
				return p.fail() // an empty scalar
			}
			textInd = l.indent
		}
		if l.indent < textInd {
			if l.indent > ind || !l.content {
				return p.fail()
			}
			break
		}
		for ; blank > 0; blank-- {
			body = append(body, "")
		}
		more := strings.Repeat(" ", l.indent-textInd)
		if (more != "" && header[0] == '>') || strings.HasSuffix(l.text, " ") {
			return p.fail() // go-yaml's handling of these differs by place
		}
		body = append(body, more+l.text)
		last = p.i
	}
	if textInd < 0 {
		return p.fail() // an empty scalar at the end of the file
	}
	var v string
	if header[0] == '|' {
		v = strings.Join(body, "\n")
	} else {
		// Folding: a line break between two text lines becomes a space;
		// of a run of blank lines, each one is a line break.
		var b strings.Builder
		for i, t := range body {
			switch {
			case i == 0:
			case t == "" || body[i-1] == "":
				if t == "" {
					b.WriteByte('\n')
				}
			default:
				b.WriteByte(' ')
			}
			b.WriteString(t)
		}
		v = b.String()
	}
	if len(header) == 1 && (last < len(p.lines)-1 || p.endsNL) {
		v += "\n" // clip: the final line break, if there is one
	}
	tk := token.Literal(header, header, pos(line, col))
	if header[0] == '>' {
		tk = token.Folded(header, header, pos(line, col))
	}
	n := ast.Literal(tk)
	n.Value = ast.String(token.String(v, v, pos(line+1, textInd+1)))
	return n
}

// scalarNode is the node go-yaml's parser makes of plain scalar v, typed
// by go-yaml's own rules (token.New), which can only find a string in a
// word that starts with a letter and is not a reserved one.
func scalarNode(v string, line, col int) ast.Node {
	c := v[0]
	if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && !reservedWords[v] {
		return ast.String(token.String(v, v, pos(line, col)))
	}
	tk := token.New(v, v, pos(line, col))
	switch tk.Type {
	case token.NullType:
		return ast.Null(tk)
	case token.BoolType:
		return ast.Bool(tk)
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
		return ast.Integer(tk)
	case token.FloatType:
		return ast.Float(tk)
	case token.InfinityType:
		return ast.Infinity(tk)
	case token.NanType:
		return ast.Nan(tk)
	}
	return ast.String(tk)
}
