// Command gen writes N synthetic notification events in the format of
// seeds/notifications/*.jsonl. From the repository root:
//
//	go run ./bench/notifications/gen -n 10000000 -o events.jsonl
//	go run ./bench/notifications/gen -n 100000000 -o events.jsonl
//
// A follow-up batch continues the same stream: pass -first-seq with the
// next_seq the previous run printed, e.g. 1% more events of which 10% arrive
// late for minutes already written:
//
//	go run ./bench/notifications/gen -n 100000 -per-day 10000000 -first-seq 9949873 -late 0.1 -o more.jsonl
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/ingot-dev/ingot/bench/notifications/eventgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int64("n", 10_000_000, "number of event lines to write (100000000 for the production-day size)")
	out := fs.String("o", "", "output file (default: standard output)")
	firstSeq := fs.Int64("first-seq", 0, "sequence number of the first new message (the previous batch's next_seq)")
	customers := fs.Int("customers", 0, "distinct customers (default 2000)")
	seed := fs.Uint64("seed", 0, "stream seed (default: the benchmark's)")
	dup := fs.Float64("dup", -1, "share of lines redelivering an earlier message (default 0.005)")
	late := fs.Float64("late", 0, "share of messages arriving late, up to -late-window before their place")
	lateFrom := fs.Int64("late-from", -1, "first sequence number that may be late (default -first-seq); keep -late, -late-from and -late-window the same in follow-up batches")
	lateWindow := fs.Duration("late-window", 0, "how far back late messages go (default 6h)")
	perDay := fs.Int64("per-day", 0, "events per day of the stream, which sets their spacing (default -n; a follow-up batch must give the first batch's value)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gen: unexpected arguments %q\n", fs.Args())
		return 2
	}

	// A follow-up batch must keep the first batch's spacing: event times
	// derive from sequence numbers, and a redelivery repeats its line.
	per := *perDay
	if per <= 0 {
		if *firstSeq > 0 {
			fmt.Fprintln(stderr, "gen: a follow-up batch (-first-seq > 0) needs -per-day, the first batch's -n")
			return 2
		}
		per = *n
	}
	c := eventgen.Defaults(per)
	c.N = *n
	c.FirstSeq = *firstSeq
	c.LateRate = *late
	c.LateFrom = *firstSeq
	if *lateFrom >= 0 {
		c.LateFrom = *lateFrom
	}
	if *customers > 0 {
		c.Customers = *customers
	}
	if *seed != 0 {
		c.Seed = *seed
	}
	if *dup >= 0 {
		c.DuplicateRate = *dup
	}
	if *lateWindow > 0 {
		c.LateWindow = *lateWindow
	}

	w := stdout
	var f *os.File
	if *out != "" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "gen: %v\n", err)
			return 1
		}
		w = f
	}
	st, err := eventgen.Write(ctx, w, c)
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", *out, cerr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gen: %d lines (%d messages, %d redeliveries, %d late) next_seq=%d\n",
		st.Lines, st.Messages, st.Duplicates, st.Late, st.NextSeq)
	return 0
}
