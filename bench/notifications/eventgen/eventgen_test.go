package eventgen

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type event struct {
	CustomerID    string `json:"customer_id"`
	MessageID     string `json:"message_id"`
	CustomerName  string `json:"customer_name"`
	Channel       string `json:"channel"`
	Payload       string `json:"payload"`
	EventDatetime string `json:"event_datetime"`
}

func generate(t *testing.T, c Config) ([]string, []event, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(context.Background(), &buf, c)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if buf.Len() == 0 {
		lines = nil
	}
	evs := make([]event, len(lines))
	for i, l := range lines {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&evs[i]); err != nil {
			t.Fatalf("line %d is not an event: %v\n%s", i+1, err, l)
		}
	}
	return lines, evs, st
}

func TestWriteFormatAndCounts(t *testing.T) {
	tests := []struct {
		name string
		c    Config
	}{
		{"no duplicates", func() Config { c := Defaults(2000); c.DuplicateRate = 0; return c }()},
		{"defaults", Defaults(5000)},
		{"many duplicates and late", func() Config {
			c := Defaults(3000)
			c.DuplicateRate, c.LateRate, c.Customers = 0.3, 0.5, 7
			return c
		}()},
		{"empty", Defaults(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, evs, st := generate(t, tt.c)
			if int64(len(lines)) != tt.c.N || st.Lines != tt.c.N {
				t.Fatalf("lines = %d (stats %d), want %d", len(lines), st.Lines, tt.c.N)
			}
			if st.Messages+st.Duplicates != st.Lines || st.NextSeq != tt.c.FirstSeq+st.Messages {
				t.Fatalf("inconsistent stats %+v", st)
			}
			byID := map[string]string{}
			customers := map[string]bool{}
			for i, e := range evs {
				if _, err := time.Parse(time.RFC3339Nano, e.EventDatetime); err != nil {
					t.Errorf("line %d: event_datetime %q is not ISO 8601: %v", i+1, e.EventDatetime, err)
				}
				switch e.Channel {
				case "whatsapp", "sms", "email":
				default:
					t.Errorf("line %d: channel %q", i+1, e.Channel)
				}
				if e.MessageID == "" || e.CustomerID == "" || e.CustomerName == "" || e.Payload == "" {
					t.Errorf("line %d has an empty field: %s", i+1, lines[i])
				}
				customers[e.CustomerID] = true
				if prev, ok := byID[e.MessageID]; ok && prev != lines[i] {
					t.Errorf("message %s repeated with other content:\n%s\n%s", e.MessageID, prev, lines[i])
				}
				byID[e.MessageID] = lines[i]
			}
			if int64(len(byID)) != st.Messages {
				t.Errorf("distinct message ids = %d, want %d", len(byID), st.Messages)
			}
			if len(customers) > tt.c.Customers {
				t.Errorf("%d customers, want at most %d", len(customers), tt.c.Customers)
			}
		})
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	c := Defaults(1000)
	a, _, _ := generate(t, c)
	b, _, _ := generate(t, c)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatal("two runs with the same configuration differ")
	}
	c.Seed++
	d, _, _ := generate(t, c)
	if strings.Join(a, "\n") == strings.Join(d, "\n") {
		t.Fatal("another seed gives the same events")
	}
}

// A follow-up batch continues the stream: new message ids, later times for
// on-time events, late events before the batch's start, and redeliveries
// that repeat earlier lines exactly.
func TestFollowUpBatch(t *testing.T) {
	first := Defaults(4000)
	firstLines, firstEvs, st := generate(t, first)
	earlier := map[string]string{}
	var last time.Time
	for i, e := range firstEvs {
		earlier[e.MessageID] = firstLines[i]
		ts, _ := time.Parse(time.RFC3339Nano, e.EventDatetime)
		if ts.After(last) {
			last = ts
		}
	}

	more := first
	more.N, more.FirstSeq, more.LateRate, more.LateFrom = 2000, st.NextSeq, 0.25, st.NextSeq
	more.DuplicateRate = 0.2
	lines, evs, st2 := generate(t, more)
	if st2.Late == 0 || st2.Duplicates == 0 {
		t.Fatalf("want late events and redeliveries, got %+v", st2)
	}
	lateSeen, repeats := 0, 0
	for i, e := range evs {
		if prev, ok := earlier[e.MessageID]; ok {
			repeats++
			if prev != lines[i] {
				t.Errorf("redelivery of %s differs:\n%s\n%s", e.MessageID, prev, lines[i])
			}
			continue
		}
		ts, _ := time.Parse(time.RFC3339Nano, e.EventDatetime)
		if !ts.After(last) {
			lateSeen++
			if last.Sub(ts) > more.LateWindow+time.Duration(more.N)*more.Step {
				t.Errorf("late event %s is %s before the first batch's end, more than the late window", e.MessageID, last.Sub(ts))
			}
		}
	}
	if repeats == 0 {
		t.Error("no redelivery of a first-batch message")
	}
	if lateSeen == 0 {
		t.Error("no new event falls inside the first batch's time range")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"negative n", func(c *Config) { c.N = -1 }, "N must be"},
		{"no customers", func(c *Config) { c.Customers = 0 }, "Customers must be"},
		{"no step", func(c *Config) { c.Step = 0 }, "Step must be"},
		{"dup rate", func(c *Config) { c.DuplicateRate = 1 }, "DuplicateRate"},
		{"late without window", func(c *Config) { c.LateRate, c.LateWindow = 0.1, 0 }, "LateWindow"},
		{"negative late from", func(c *Config) { c.LateFrom = -1 }, "LateFrom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults(10)
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
			if _, werr := Write(context.Background(), &bytes.Buffer{}, c); werr == nil {
				t.Fatal("Write accepted an invalid configuration")
			}
		})
	}
}

func TestWriteStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, &bytes.Buffer{}, Defaults(100000)); err == nil {
		t.Fatal("Write ignored a cancelled context")
	}
}
