// Package eventgen writes synthetic WhatsApp-platform notification events in
// the example project's input format (seeds/notifications/*.jsonl): one JSON
// object per line with customer_id, message_id, customer_name, channel,
// payload and event_datetime (ISO 8601, UTC).
//
// Every event is a pure function of its sequence number and the seed, so a
// later batch (FirstSeq = the previous batch's end) continues the same
// stream, and a duplicate is a byte-identical copy of an earlier line, as an
// at-least-once stream redelivers it.
package eventgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Config describes one batch of events.
type Config struct {
	// N is the number of lines to write, duplicates included.
	N int64
	// FirstSeq is the sequence number of the batch's first new message; a
	// follow-up batch starts where the previous one ended.
	FirstSeq int64
	// Epoch is the event time of sequence number 0; Step the time between
	// consecutive sequence numbers.
	Epoch time.Time
	Step  time.Duration
	// Customers is how many distinct customers send notifications.
	Customers int
	// Seed makes message ids and the choice of customers differ per stream.
	Seed uint64
	// DuplicateRate is the share of lines that repeat an earlier message
	// (same message_id and content), possibly one of an earlier batch.
	DuplicateRate float64
	// LateRate is the share of messages from sequence number LateFrom on
	// whose event time lies up to LateWindow before their place in the
	// stream: late arrivals for minutes that an earlier batch already
	// covered. Keep LateRate, LateFrom and LateWindow the same in follow-up
	// batches so that redeliveries of late messages repeat them exactly.
	LateRate   float64
	LateFrom   int64
	LateWindow time.Duration
}

// Defaults returns the configuration the benchmark uses for its first batch:
// n events over one day from 2024-05-28T00:00:00Z, 2,000 customers, 0.5 %
// redeliveries and no late events.
func Defaults(n int64) Config {
	return Config{
		N:             n,
		Epoch:         time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC),
		Step:          stepFor(n, 24*time.Hour),
		Customers:     2000,
		Seed:          0x1d607,
		DuplicateRate: 0.005,
		LateWindow:    6 * time.Hour,
	}
}

// stepFor spreads n events over span, at least one microsecond apart.
func stepFor(n int64, span time.Duration) time.Duration {
	if n <= 0 {
		return time.Microsecond
	}
	s := span / time.Duration(n)
	if s < time.Microsecond {
		s = time.Microsecond
	}
	return s.Truncate(time.Microsecond)
}

// Stats counts what Write wrote.
type Stats struct {
	Lines      int64 // lines written
	Messages   int64 // distinct new messages (sequence numbers used)
	Duplicates int64 // lines repeating an earlier message
	Late       int64 // new messages placed before their stream position
	NextSeq    int64 // FirstSeq of a batch that continues this one
}

// Validate reports a configuration that cannot produce events.
func (c Config) Validate() error {
	var errs []error
	if c.N < 0 {
		errs = append(errs, fmt.Errorf("field N must be >= 0, got %d", c.N))
	}
	if c.FirstSeq < 0 {
		errs = append(errs, fmt.Errorf("field FirstSeq must be >= 0, got %d", c.FirstSeq))
	}
	if c.LateFrom < 0 {
		errs = append(errs, fmt.Errorf("field LateFrom must be >= 0, got %d", c.LateFrom))
	}
	if c.Customers <= 0 {
		errs = append(errs, fmt.Errorf("field Customers must be > 0, got %d", c.Customers))
	}
	if c.Step <= 0 {
		errs = append(errs, fmt.Errorf("field Step must be > 0, got %s", c.Step))
	}
	if c.DuplicateRate < 0 || c.DuplicateRate >= 1 {
		errs = append(errs, fmt.Errorf("field DuplicateRate must be in [0, 1), got %g", c.DuplicateRate))
	}
	if c.LateRate < 0 || c.LateRate > 1 {
		errs = append(errs, fmt.Errorf("field LateRate must be in [0, 1], got %g", c.LateRate))
	}
	if c.LateRate > 0 && c.LateWindow <= 0 {
		errs = append(errs, fmt.Errorf("field LateWindow must be > 0 when LateRate > 0, got %s", c.LateWindow))
	}
	return errors.Join(errs...)
}

// WriteFile writes c.N event lines to a new file at path.
func WriteFile(ctx context.Context, path string, c Config) (Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, err
	}
	st, err := Write(ctx, f, c)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	return st, nil
}

// Write writes c.N event lines to w. It checks ctx every few thousand lines.
func Write(ctx context.Context, w io.Writer, c Config) (Stats, error) {
	if err := c.Validate(); err != nil {
		return Stats{}, fmt.Errorf("eventgen: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	st := Stats{NextSeq: c.FirstSeq}
	dupThreshold := uint64(c.DuplicateRate * (1 << 53))
	buf := make([]byte, 0, 512)
	for i := int64(0); i < c.N; i++ {
		if i&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		seq := st.NextSeq
		// A redelivery needs an earlier message to repeat.
		if seq > 0 && mix(c.Seed^0xd0b1e, uint64(c.FirstSeq+i))>>11 < dupThreshold {
			back := int64(mix(c.Seed^0xbac, uint64(c.FirstSeq+i))%5000) + 1
			seq -= back
			if seq < 0 {
				seq = 0
			}
			st.Duplicates++
		} else {
			st.NextSeq++
			st.Messages++
			if c.isLate(seq) {
				st.Late++
			}
		}
		buf = c.appendEvent(buf[:0], seq)
		if _, err := bw.Write(buf); err != nil {
			return st, fmt.Errorf("eventgen: write: %w", err)
		}
		st.Lines++
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("eventgen: write: %w", err)
	}
	return st, nil
}

// isLate reports whether message seq arrives after its stream position.
func (c Config) isLate(seq int64) bool {
	if c.LateRate <= 0 || seq < c.LateFrom {
		return false
	}
	return float64(mix(c.Seed^0x1a7e, uint64(seq))>>11)/(1<<53) < c.LateRate
}

var channels = [...]string{"whatsapp", "whatsapp", "whatsapp", "whatsapp", "whatsapp",
	"whatsapp", "whatsapp", "whatsapp", "sms", "email"}

var firstNames = [...]string{"Ana", "Bruno", "Carla", "Daniel", "Elisa", "Fabio", "Gabriela",
	"Heitor", "Isabela", "Joao", "Karina", "Lucas", "Mariana", "Nicolas", "Olivia", "Pedro"}

var templates = [...]string{
	"Seu pedido #%d foi confirmado",
	"Seu pedido #%d saiu para entrega",
	"Seu codigo de verificacao e %d",
	"Lembrete: sua fatura %d vence amanha",
}

// appendEvent renders message seq as one JSON line; the content depends on
// seq and the configuration only, so a redelivery repeats the line exactly.
func (c Config) appendEvent(b []byte, seq int64) []byte {
	h := mix(c.Seed, uint64(seq))
	cust := int(mix(c.Seed^0xc057, uint64(seq)) % uint64(c.Customers))
	ts := c.Epoch.Add(time.Duration(seq) * c.Step)
	if c.isLate(seq) {
		ts = ts.Add(-time.Duration(mix(c.Seed^0x7a7e, uint64(seq)) % uint64(c.LateWindow)))
	}
	b = append(b, `{"customer_id":"C`...)
	b = appendPadded(b, cust+1, 6)
	b = append(b, `","message_id":"`...)
	b = appendHex16(b, h)
	b = append(b, `","customer_name":"`...)
	b = append(b, firstNames[cust%len(firstNames)]...)
	b = append(b, " Cliente "...)
	b = strconv.AppendInt(b, int64(cust+1), 10)
	b = append(b, `","channel":"`...)
	b = append(b, channels[h%uint64(len(channels))]...)
	b = append(b, `","payload":"`...)
	b = fmt.Appendf(b, templates[(h>>8)%uint64(len(templates))], 100000+seq%900000)
	b = append(b, `","event_datetime":"`...)
	b = ts.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, "\"}\n"...)
	return b
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}

// mix is the splitmix64 finaliser of seed+x: a bijection of x for a fixed
// seed, so distinct sequence numbers get distinct message ids.
func mix(seed, x uint64) uint64 {
	z := x + seed*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
