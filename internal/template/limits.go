package template

import (
	"bytes"
	"fmt"
	"strings"
	"text/template/parse"
)

// Limits of one render. A template is a program: without them a macro
// that calls itself overflows the stack, and a loop or a repeat can run
// or allocate without end, where ingot must stop with an error.
const (
	// MaxMacroDepth is how deep macro calls may nest.
	MaxMacroDepth = 100
	// MaxOutputBytes bounds the text one render writes, macro output
	// included.
	MaxOutputBytes = 64 << 20
	// MaxLoopSteps bounds the iterations of all range loops of a render.
	MaxLoopSteps = 1_000_000
	// maxSeqLen bounds the lists until and untilStep make and the
	// counts of repeat, indent and nindent.
	maxSeqLen = 1_000_000
)

// limitError is a limit reached deep in nested macro calls, reported
// once rather than wrapped by every call on the way out.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// loopStepFunc is called at the start of every range body (guardLoops
// puts the call there), so a loop that writes nothing is bounded too.
const loopStepFunc = "ingot_loop_step"

func (r *renderer) loopStep() error {
	r.stepsLeft--
	if r.stepsLeft < 0 {
		return fmt.Errorf("range loops ran more than %d iterations in one render (the limit); loop over less data, or build the rows in SQL", MaxLoopSteps)
	}
	return nil
}

// guardLoops prepends a call of loopStepFunc to the body of every range
// under n.
func guardLoops(n parse.Node) {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			guardLoops(c)
		}
	case *parse.IfNode:
		guardLoops(x.List)
		guardLoops(x.ElseList)
	case *parse.WithNode:
		guardLoops(x.List)
		guardLoops(x.ElseList)
	case *parse.RangeNode:
		guardLoops(x.List)
		guardLoops(x.ElseList)
		if x.List != nil {
			step := &parse.ActionNode{NodeType: parse.NodeAction, Pos: x.Pos, Line: x.Line,
				Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: x.Pos, Line: x.Line,
					Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: x.Pos,
						Args: []parse.Node{parse.NewIdentifier(loopStepFunc).SetPos(x.Pos)}}}}}
			x.List.Nodes = append([]parse.Node{step}, x.List.Nodes...)
		}
	}
}

// limitedBuffer is a bytes.Buffer that fails once the render's shared
// output budget is spent.
type limitedBuffer struct {
	bytes.Buffer
	left *int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if len(p) > *b.left {
		*b.left = -1
		return 0, fmt.Errorf("the rendered SQL is larger than %d MiB (the limit); a loop or macro produces far more text than a query needs", MaxOutputBytes>>20)
	}
	*b.left -= len(p)
	return b.Buffer.Write(p)
}

func checkCount(fn string, n int) error {
	if n > maxSeqLen {
		return fmt.Errorf("%s %d: more than %d (the limit)", fn, n, maxSeqLen)
	}
	return nil
}

func boundedRepeat(count int, s string) (string, error) {
	if err := checkCount("repeat", count); err != nil {
		return "", err
	}
	if count <= 0 {
		return "", nil
	}
	if len(s)*count > MaxOutputBytes {
		return "", fmt.Errorf("repeat %d: the result is larger than %d MiB (the limit)", count, MaxOutputBytes>>20)
	}
	return strings.Repeat(s, count), nil
}

func boundedIndent(spaces int, s string) (string, error) {
	if err := checkCount("indent", spaces); err != nil {
		return "", err
	}
	if spaces < 0 {
		spaces = 0
	}
	pad := strings.Repeat(" ", spaces)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
}

func boundedNindent(spaces int, s string) (string, error) {
	out, err := boundedIndent(spaces, s)
	return "\n" + out, err
}

func boundedUntil(n int) ([]int, error) {
	step := 1
	if n < 0 {
		step = -1
	}
	return boundedUntilStep(0, n, step)
}

func boundedUntilStep(start, stop, step int) ([]int, error) {
	var out []int
	if step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop) {
		return out, nil
	}
	// The length, computed without overflowing int.
	span := uint64(stop-start) / uint64(step)
	if step < 0 {
		span = uint64(start-stop) / uint64(-step)
	}
	if span >= maxSeqLen {
		return nil, fmt.Errorf("untilStep %d %d %d: more than %d values (the limit)", start, stop, step, maxSeqLen)
	}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
	}
	return out, nil
}
