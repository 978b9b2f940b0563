package postgres

import (
	"context"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestQueryNormalization(t *testing.T) {
	e := newEnv(t)
	// A session time zone far from UTC shows that timestamptz comes back in UTC.
	e.exec(`create type public.mood as enum ('happy', 'sad')`)
	tests := []struct {
		expr     string
		want     any
		wantType string
	}{
		{"null::int", nil, "integer"},
		{"true", true, "boolean"},
		{"1::smallint", int64(1), "smallint"},
		{"2::int", int64(2), "integer"},
		{"9007199254740993::bigint", int64(9007199254740993), "bigint"},
		{"1.5::real", 1.5, "real"},
		{"2.25::float8", 2.25, "double precision"},
		{"12.34::numeric(10,2)", 12.34, "numeric(10,2)"},
		{"'NaN'::numeric", math.NaN(), "numeric"},
		{"'x'::text", "x", "text"},
		{"'y'::varchar(3)", "y", "character varying(3)"},
		{"'z'::char(2)", "z ", "character(2)"},
		{"'2024-05-28'::date", time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC), "date"},
		{"'2024-05-28 13:14:15.5'::timestamp", time.Date(2024, 5, 28, 13, 14, 15, 5e8, time.UTC), "timestamp without time zone"},
		{"'2024-05-28 13:14:15+02'::timestamptz", time.Date(2024, 5, 28, 11, 14, 15, 0, time.UTC), "timestamp with time zone"},
		{"'infinity'::timestamp", "infinity", "timestamp without time zone"},
		{`'{"a": [1, "b", null], "c": {"d": true}}'::jsonb`, map[string]any{"a": []any{1.0, "b", nil}, "c": map[string]any{"d": true}}, "jsonb"},
		{`'[1, 2]'::json`, []any{1.0, 2.0}, "json"},
		{`'\x0102'::bytea`, []byte{1, 2}, "bytea"},
		{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid"},
		{"interval '1 day 2 hours'", "1 day 02:00:00", "interval"},
		{"'13:14:15'::time", "13:14:15", "time without time zone"},
		{"array[1, null, 3]", []any{int64(1), nil, int64(3)}, "integer[]"},
		{"array['a', 'b']::text[]", []any{"a", "b"}, "text[]"},
		{"'happy'::public.mood", "happy", "mood"},
		{"'10.0.0.1'::inet", "10.0.0.1", "inet"},
		{"int4range(1, 5)", "[1,5)", "int4range"},
		{"row(1, 'a')", "(1,a)", "record"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if _, err := e.a.Exec(ctx, "set timezone = 'Asia/Kathmandu'"); err != nil {
				t.Fatal(err)
			}
			r, err := e.a.Query(ctx, "select "+tt.expr+" as v", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Columns) != 1 || r.Columns[0].Name != "v" || r.Columns[0].Type != tt.wantType {
				t.Errorf("columns = %v, want type %q", r.Columns, tt.wantType)
			}
			got := r.Rows[0][0]
			if f, ok := tt.want.(float64); ok && math.IsNaN(f) {
				if g, ok := got.(float64); !ok || !math.IsNaN(g) {
					t.Errorf("got %#v, want NaN", got)
				}
				return
			}
			if tm, ok := got.(time.Time); ok && tm.Location() != time.UTC {
				t.Errorf("time %v not in UTC", tm)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want any
	}{
		{int8(1), int64(1)}, {uint32(7), int64(7)}, {uint64(math.MaxUint64), "18446744073709551615"},
		{float32(0.5), 0.5}, {[]any{int16(1), map[string]any{"a": int32(2)}}, []any{int64(1), map[string]any{"a": int64(2)}}},
	}
	for _, tt := range tests {
		if got := normalize(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestConcurrentQueries(t *testing.T) {
	// More queries than pool connections, each naming a new column type:
	// none may wait for a second connection while holding one.
	e := newEnv(t)
	a := e.open(adapter.Target{Threads: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			_, err := a.Query(ctx, "select 1::numeric(20,"+strconv.Itoa(i)+") as n", 0)
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(e.sent.Matching("select 1::numeric(20,15) as n")) != 1 {
		t.Errorf("query not reported to OnStatement")
	}
}
