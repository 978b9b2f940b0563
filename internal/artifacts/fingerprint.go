package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"

	"github.com/ingot-dev/ingot/internal/compile"
)

var defineRe = regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"`)

// MacroChecksum fingerprints the macro files whose macros n's template
// names (by the macro's name, without its engine prefix, as a word of the
// template), and the files those macros name in turn. A change anywhere in
// such a file changes it: coarse, but it never misses an edit.
func MacroChecksum(m *compile.Manifest, n *compile.Node) string {
	if n.Model == nil {
		return ""
	}
	type file struct {
		src   string
		names []string
	}
	var files []file
	for _, f := range m.Project.Macros {
		fl := file{src: string(f.Src)}
		for _, d := range defineRe.FindAllStringSubmatch(fl.src, -1) {
			name := d[1]
			if _, base, ok := strings.Cut(name, "__"); ok {
				name = base
			}
			fl.names = append(fl.names, name)
		}
		files = append(files, fl)
	}
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
	if len(used) == 0 {
		return ""
	}
	idx := make([]int, 0, len(used))
	for i := range used {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	h := sha256.New()
	for _, i := range idx {
		h.Write([]byte(files[i].src))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
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
