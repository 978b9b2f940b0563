package jinja

import (
	"fmt"
	"strings"
)

// Node is a parsed Jinja expression.
type Node struct {
	Op   string // name, str, num, const, list, dict, attr, index, call, filter, not, neg, bin, cond, is
	S    string // name, literal, attribute, filter or operator
	Kids []*Node
	Kw   []Kwarg // keyword arguments of call and filter
}

// Kwarg is a keyword argument.
type Kwarg struct {
	Name string
	Val  *Node
}

type token struct {
	kind byte // n name, d number, s string, o operator, 0 end
	s    string
	pos  int
}

func tokenize(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '_' || isLetter(c):
			j := i
			for j < len(src) && (src[j] == '_' || isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			out = append(out, token{'n', src[i:j], i})
			i = j
		case isDigit(c):
			j := i
			for j < len(src) && (isDigit(src[j]) || src[j] == '.' || src[j] == '_') {
				j++
			}
			out = append(out, token{'d', strings.ReplaceAll(src[i:j], "_", ""), i})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(src[j])
					}
					continue
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			out = append(out, token{'s', b.String(), i})
			i = j + 1
		default:
			op := ""
			for _, o := range []string{"==", "!=", "<=", ">=", "//", "**"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("()[]{},:.|=<>+-*/%~", rune(c)) {
					return nil, fmt.Errorf("unexpected character %q", c)
				}
				op = string(c)
			}
			out = append(out, token{'o', op, i})
			i += len(op)
		}
	}
	return append(out, token{0, "", len(src)}), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

type parser struct {
	toks []token
	i    int
}

// ParseExpr parses one Jinja expression.
func ParseExpr(src string) (*Node, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, fmt.Errorf("unexpected %q after the expression", t.s)
	}
	return n, nil
}

func newParser(src string) (*parser, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}
func (p *parser) isOp(s string) bool   { t := p.peek(); return t.kind == 'o' && t.s == s }
func (p *parser) isName(s string) bool { t := p.peek(); return t.kind == 'n' && t.s == s }
func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		t := p.peek()
		if t.kind == 0 {
			return fmt.Errorf("expected %q, found the end", s)
		}
		return fmt.Errorf("expected %q, found %q", s, t.s)
	}
	p.next()
	return nil
}

func (p *parser) expr() (*Node, error) {
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.isName("if") {
		p.next()
		cond, err := p.or()
		if err != nil {
			return nil, err
		}
		// Without else Jinja renders nothing; nil would print "<no value>".
		var alt = &Node{Op: "str"}
		if p.isName("else") {
			p.next()
			if alt, err = p.expr(); err != nil {
				return nil, err
			}
		}
		return &Node{Op: "cond", Kids: []*Node{n, cond, alt}}, nil
	}
	return n, nil
}

func (p *parser) binary(ops []string, names bool, sub func() (*Node, error)) (*Node, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op := ""
		for _, o := range ops {
			if (names && t.kind == 'n' || !names && t.kind == 'o') && t.s == o {
				op = o
			}
		}
		if op == "" {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &Node{Op: "bin", S: op, Kids: []*Node{l, r}}
	}
}

func (p *parser) or() (*Node, error) {
	return p.binary([]string{"or"}, true, p.and)
}

func (p *parser) and() (*Node, error) {
	return p.binary([]string{"and"}, true, p.not)
}

func (p *parser) not() (*Node, error) {
	if p.isName("not") {
		p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Node{Op: "not", Kids: []*Node{x}}, nil
	}
	return p.compare()
}

func (p *parser) compare() (*Node, error) {
	l, err := p.math1()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var op string
		switch {
		case t.kind == 'o' && (t.s == "==" || t.s == "!=" || t.s == "<" || t.s == ">" || t.s == "<=" || t.s == ">="):
			op = t.s
			p.next()
		case t.kind == 'n' && t.s == "in":
			op = "in"
			p.next()
		case t.kind == 'n' && t.s == "not" && p.toks[p.i+1].kind == 'n' && p.toks[p.i+1].s == "in":
			op = "not in"
			p.next()
			p.next()
		case t.kind == 'n' && t.s == "is":
			p.next()
			neg := ""
			if p.isName("not") {
				p.next()
				neg = "not "
			}
			name := p.next()
			if name.kind != 'n' {
				return nil, fmt.Errorf("expected a test name after \"is\"")
			}
			l = &Node{Op: "is", S: neg + name.s, Kids: []*Node{l}}
			continue
		default:
			return l, nil
		}
		r, err := p.math1()
		if err != nil {
			return nil, err
		}
		l = &Node{Op: "bin", S: op, Kids: []*Node{l, r}}
	}
}

func (p *parser) math1() (*Node, error) {
	return p.binary([]string{"+", "-"}, false, p.concat)
}

func (p *parser) concat() (*Node, error) {
	return p.binary([]string{"~"}, false, p.math2)
}

func (p *parser) math2() (*Node, error) {
	return p.binary([]string{"*", "/", "//", "%"}, false, p.unary)
}

func (p *parser) unary() (*Node, error) {
	if p.isOp("-") {
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Node{Op: "neg", Kids: []*Node{x}}, nil
	}
	x, err := p.postfix()
	if err != nil {
		return nil, err
	}
	for p.isOp("|") {
		p.next()
		name := p.next()
		if name.kind != 'n' {
			return nil, fmt.Errorf("expected a filter name after \"|\"")
		}
		f := &Node{Op: "filter", S: name.s, Kids: []*Node{x}}
		if p.isOp("(") {
			args, kw, err := p.args()
			if err != nil {
				return nil, err
			}
			f.Kids = append(f.Kids, args...)
			f.Kw = kw
		}
		x = f
		for p.isOp(".") || p.isOp("[") || p.isOp("(") {
			if x, err = p.postfixOnce(x); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

func (p *parser) postfix() (*Node, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isOp(".") || p.isOp("[") || p.isOp("(") {
		if x, err = p.postfixOnce(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (p *parser) postfixOnce(x *Node) (*Node, error) {
	switch {
	case p.isOp("."):
		p.next()
		name := p.next()
		if name.kind != 'n' && name.kind != 'd' {
			return nil, fmt.Errorf("expected a name after \".\"")
		}
		return &Node{Op: "attr", S: name.s, Kids: []*Node{x}}, nil
	case p.isOp("["):
		p.next()
		i, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.isOp(":") {
			return nil, fmt.Errorf("slices are not supported")
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		return &Node{Op: "index", Kids: []*Node{x, i}}, nil
	default:
		args, kw, err := p.args()
		if err != nil {
			return nil, err
		}
		return &Node{Op: "call", Kids: append([]*Node{x}, args...), Kw: kw}, nil
	}
}

func (p *parser) args() ([]*Node, []Kwarg, error) {
	if err := p.expect("("); err != nil {
		return nil, nil, err
	}
	var args []*Node
	var kw []Kwarg
	for !p.isOp(")") {
		t := p.peek()
		if t.kind == 'n' && p.toks[p.i+1].kind == 'o' && p.toks[p.i+1].s == "=" {
			p.next()
			p.next()
			v, err := p.expr()
			if err != nil {
				return nil, nil, err
			}
			kw = append(kw, Kwarg{Name: t.s, Val: v})
		} else {
			if len(kw) > 0 {
				return nil, nil, fmt.Errorf("a positional argument follows a keyword argument")
			}
			v, err := p.expr()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, v)
		}
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return args, kw, p.expect(")")
}

func (p *parser) primary() (*Node, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		switch t.s {
		case "true", "True", "false", "False", "none", "None":
			return &Node{Op: "const", S: strings.ToLower(t.s)}, nil
		}
		return &Node{Op: "name", S: t.s}, nil
	case 'd':
		return &Node{Op: "num", S: t.s}, nil
	case 's':
		n := &Node{Op: "str", S: t.s}
		for p.peek().kind == 's' { // adjacent literals join
			n.S += p.next().s
		}
		return n, nil
	case 'o':
		switch t.s {
		case "(":
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.isOp(",") {
				return nil, fmt.Errorf("tuples are not supported; use a list [...]")
			}
			return x, p.expect(")")
		case "[":
			n := &Node{Op: "list"}
			for !p.isOp("]") {
				v, err := p.expr()
				if err != nil {
					return nil, err
				}
				n.Kids = append(n.Kids, v)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			return n, p.expect("]")
		case "{":
			n := &Node{Op: "dict"}
			for !p.isOp("}") {
				k, err := p.expr()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.expr()
				if err != nil {
					return nil, err
				}
				n.Kids = append(n.Kids, k, v)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			return n, p.expect("}")
		}
	case 0:
		return nil, fmt.Errorf("unexpected end of the expression")
	}
	return nil, fmt.Errorf("unexpected %q", t.s)
}
