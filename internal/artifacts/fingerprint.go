package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"text/template/parse"

	"github.com/ingot-dev/ingot/internal/compile"
)

var defineRe = regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"`)

type macroFile struct {
	src   string
	names []string // defined names without their engine prefix
	defs  []string // defined names as written
}

func macroFiles(m *compile.Manifest) []macroFile {
	files := make([]macroFile, 0, len(m.Project.Macros))
	for _, f := range m.Project.Macros {
		fl := macroFile{src: string(f.Src)}
		for _, d := range defineRe.FindAllStringSubmatch(fl.src, -1) {
			name := d[1]
			fl.defs = append(fl.defs, name)
			if _, base, ok := strings.Cut(name, "__"); ok {
				name = base
			}
			fl.names = append(fl.names, name)
		}
		files = append(files, fl)
	}
	return files
}

// usedFiles are the indexes of the macro files whose macros n's template
// names (by the macro's name, without its engine prefix, as a word of the
// template), and of the files those macros name in turn.
func usedFiles(files []macroFile, n *compile.Node) []int {
	used := map[int]bool{}
	texts := []string{string(n.Model.Src)}
	for len(texts) > 0 {
		text := texts[0]
		texts = texts[1:]
		for i, f := range files {
			if used[i] {
				continue
			}
			for _, name := range f.names {
				if containsWord(text, name) {
					used[i] = true
					texts = append(texts, f.src)
					break
				}
			}
		}
	}
	idx := make([]int, 0, len(used))
	for i := range used {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// filesChecksum fingerprints the macro files a template uses (see
// usedFiles). A change anywhere in such a file changes it: coarse, but it
// never misses an edit.
func filesChecksum(files []macroFile, idx []int) string {
	if len(idx) == 0 {
		return ""
	}
	h := sha256.New()
	for _, i := range idx {
		h.Write([]byte(files[i].src))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// usedMacros names the macros n's template calls, directly or through the
// used files' macros, engine versions included (depends_on.macros), sorted.
func usedMacros(files []macroFile, used []int, n *compile.Node) []string {
	texts := []string{string(n.Model.Src)}
	for _, i := range used {
		texts = append(texts, files[i].src)
	}
	set := map[string]bool{}
	for _, i := range used {
		f := files[i]
		for k, base := range f.names {
			for _, t := range texts {
				if containsWord(t, base) {
					set[f.defs[k]] = true
					break
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

type defineBlock struct{ name, text string }

// defineBlocks are the {{ define }} blocks of a macro file with their
// text as the template parser reads it back.
func defineBlocks(src []byte) []defineBlock {
	t := parse.New("macros")
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(string(src), "", "", trees); err != nil {
		// the project loaded, so this does not happen; fall back to the names
		var out []defineBlock
		for _, d := range defineRe.FindAllStringSubmatch(string(src), -1) {
			out = append(out, defineBlock{name: d[1]})
		}
		return out
	}
	var out []defineBlock
	for name, tr := range trees {
		if name == "macros" || tr.Root == nil {
			continue
		}
		out = append(out, defineBlock{name: name, text: tr.Root.String()})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].name < out[k].name })
	return out
}

func containsWord(text, w string) bool {
	for i := 0; ; {
		k := strings.Index(text[i:], w)
		if k < 0 {
			return false
		}
		k += i
		before := k == 0 || !isWord(text[k-1])
		after := k+len(w) == len(text) || !isWord(text[k+len(w)])
		if before && after {
			return true
		}
		i = k + 1
	}
}

func isWord(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}
