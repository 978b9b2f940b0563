{{- /*
One row per chatbot session (customer, flow, session) with at least one
non-empty answer:
  - first_answer_dt / last_answer_dt: first and last non-empty answer (UTC);
  - answers: JSON object of each key's last non-empty value, keys sorted;
  - one column per answer key found in silver.chatbot_answers at build time
    (run_query; no key is written here), holding the key's last non-empty
    value. A key whose every value is sim/não/nao/yes/no/true/false (any
    case) is a BOOLEAN column; otherwise text, with those words written
    'true'/'false'. A key named like a fixed column, or like an earlier key
    but for case, gets an "answer_" prefix (and a number if still taken).
    A name over 63 bytes is cut the same way on both engines (identifier:
    PostgreSQL would cut it itself, and two long keys could then clash).
The last value of a key is the one with the latest answered_at; ties (same
second) go to the greatest value in byte order, so both engines agree.
At parse time run_query returns no rows and only the fixed columns render.
*/ -}}
{{- $answers := ref "chatbot_answers" }}
{{- $keys := run_query (printf "select answer_key, bool_and(answer_bool is not null) as is_boolean from %s group by answer_key order by %s" $answers (collate_c "answer_key")) }}
{{- /* Column names taken so far, lower-cased: DuckDB compares names case-insensitively. */}}
{{- $taken := dict "customer" true "flow" true "session" true "first_answer_dt" true "last_answer_dt" true "answers" true }}
with ranked as (
  select
    a.*,
    row_number() over (
      partition by customer, flow, session, answer_key
      order by answered_at desc, {{ collate_c "answer_value" }} desc
    ) as recencia
  from {{ $answers }} as a
),

last_answers as (
  select * from ranked where recencia = 1
),

sessions as (
  select
    customer,
    flow,
    session,
    min(answered_at) as first_answer_dt,
    max(answered_at) as last_answer_dt
  from {{ $answers }}
  group by customer, flow, session
)

select
  s.customer,
  s.flow,
  s.session,
  s.first_answer_dt,
  s.last_answer_dt,
  cast(
    '{' || {{ string_agg_ordered (printf "%s || ':' || %s" (json_quote "l.answer_key") (json_quote "l.answer_value")) "','" (collate_c "l.answer_key") }} || '}'
    as json
  ) as answers
{{- range $i, $key := $keys }}
{{- $column := identifier .answer_key }}
{{- if hasKey $taken (lower $column) }}{{ $column = identifier (printf "answer_%s" .answer_key) }}{{ end }}
{{- if hasKey $taken (lower $column) }}{{ $column = identifier (printf "answer_%s_%d" .answer_key (add1 $i)) }}{{ end }}
{{- $_ := set $taken (lower $column) true }},
  {{ if .is_boolean -}}
  bool_or(case when l.answer_key = {{ sql_string .answer_key }} then l.answer_bool end)
  {{- else -}}
  max(case when l.answer_key = {{ sql_string .answer_key }} then coalesce({{ cast_text "l.answer_bool" }}, l.answer_value) end)
  {{- end }} as {{ quote_identifier $column }}
{{- end }}
from sessions as s
join last_answers as l
  on l.customer = s.customer
  and l.flow = s.flow
  and l.session = s.session
group by s.customer, s.flow, s.session, s.first_answer_dt, s.last_answer_dt
