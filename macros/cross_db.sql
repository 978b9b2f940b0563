{{- /*
Portable SQL macros: a model is written once and gives the same values on
DuckDB and PostgreSQL 15. Where the engines differ, duckdb__NAME and
postgres__NAME are picked by target type; default__NAME serves both.

Call with positional arguments (SQL expressions, as strings):
  {{ NAME "arg1" "arg2" }}   -- inside the macro: index . 0, index . 1
  {{ NAME "arg1" }}          -- one argument: the dot is the argument

Dates and times
  date_add_days      "date_expr" "days_expr"        -> DATE, date + n days (n may be negative or null)
  date_add_months    "date_expr" "months_expr"      -> DATE, date + n calendar months
  datediff_days      "start_expr" "end_expr"        -> INTEGER, days from start to end (end - start)
  date_trunc_month   "date_expr"                    -> DATE, first day of the month
  parse_date         "expr"                         -> DATE from a DATE, a TIMESTAMP, 'YYYY-MM-DD[ ...]',
                                                       'DD/MM/YYYY' or an Excel serial day number; else null
  parse_timestamp    "expr"                         -> TIMESTAMP (no zone) from a TIMESTAMP or
                                                       'YYYY-MM-DD[ T]HH:MM[:SS]' text (fraction and zone dropped)
  to_utc_timestamp   "expr"                         -> TIMESTAMP (no zone) in UTC from ISO 8601 text with an
                                                       offset ('Z', '+00:00', '-0300'); text without one is UTC
Numbers
  int_div            "a" "b"                        -> BIGINT, integer division truncated toward zero
Text, regex, casts
  cast_text          "expr"                         -> VARCHAR
  clean_text         "expr"                         -> VARCHAR trimmed, '' -> null
  regex_matches      "expr" "pattern"               -> BOOLEAN, pattern found anywhere (use [0-9], [.], no \d)
  regex_replace      "expr" "pattern" "replacement" -> VARCHAR, every match replaced
  digits_only        "expr"                         -> VARCHAR keeping 0-9, '' -> null
  file_stem          "path_expr"                    -> VARCHAR, 'seeds/a/b.csv' -> 'b'
  bool_word          "expr"                         -> BOOLEAN: sim/yes/true -> true, não/nao/no/false -> false
                                                       (any case, surrounding spaces ignored), else null
  collate_c          "expr"                         -> expr with byte-order collation, for ORDER BY that must
                                                       sort the same on both engines
  string_agg_ordered "expr" "separator_sql" "order_by_sql" -> VARCHAR, ordered string aggregation
JSON
  json_quote         "expr"                         -> VARCHAR, expr as a JSON string literal ("a\"b")
  json_get_text      "json_expr" "key"              -> VARCHAR value of a top-level key (JSON null -> null; nested
                                                       values as JSON text); key is a plain name without double quotes
  json_each_text     "json_expr" "alias"            -> a LATERAL FROM item with alias.key and alias.value
                                                       (VARCHAR; JSON null -> null; nested values as JSON
                                                       text); no rows unless json_expr is an object.
                                                       Use as: cross join {{ json_each_text "t.doc" "kv" }}
Template helpers (take Go strings, e.g. keys from run_query)
  sql_string         "go string"                    -> a quoted SQL string literal
  quote_identifier   "go string"                    -> a quoted identifier
*/ -}}

{{ define "default__date_add_days" }}cast(cast({{ index . 0 }} as date) + cast({{ index . 1 }} as integer) as date){{ end }}

{{ define "duckdb__date_add_months" }}cast(cast({{ index . 0 }} as date) + to_months(cast({{ index . 1 }} as integer)) as date){{ end }}
{{ define "postgres__date_add_months" }}cast(cast({{ index . 0 }} as date) + make_interval(months => cast({{ index . 1 }} as integer)) as date){{ end }}

{{- /* date - date is BIGINT on DuckDB and INTEGER on PostgreSQL: cast both. */}}
{{ define "default__datediff_days" }}cast(cast({{ index . 1 }} as date) - cast({{ index . 0 }} as date) as integer){{ end }}

{{- /* PostgreSQL's date_trunc(date) goes through timestamptz (session zone); truncating a timestamp avoids it. */}}
{{ define "default__date_trunc_month" }}cast(date_trunc('month', cast({{ . }} as timestamp)) as date){{ end }}

{{ define "default__parse_date" }}(case
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "^[0-9]{4}-[0-9]{2}-[0-9]{2}" }}
    then cast(substr(trim(cast({{ . }} as varchar)), 1, 10) as date)
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$" }}
    then make_date(cast(split_part(trim(cast({{ . }} as varchar)), '/', 3) as integer),
                   cast(split_part(trim(cast({{ . }} as varchar)), '/', 2) as integer),
                   cast(split_part(trim(cast({{ . }} as varchar)), '/', 1) as integer))
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "^[0-9]{1,6}([.][0-9]+)?$" }}
    then {{ date_add_days "date '1899-12-30'" (printf "floor(cast(trim(cast(%s as varchar)) as double precision))" .) }}
end){{ end }}

{{ define "default__parse_timestamp" }}(case
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}" }}
    then cast(substr(replace(trim(cast({{ . }} as varchar)), 'T', ' '), 1, 19) as timestamp)
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }}
    then cast(cast(trim(cast({{ . }} as varchar)) as date) as timestamp)
end){{ end }}

{{- /* Both engines parse ISO 8601 with an offset into timestamptz and convert the instant to UTC;
       text without an offset would take the session time zone, so it is read as UTC instead. */}}
{{ define "default__to_utc_timestamp" }}cast(cast(case
  when {{ regex_matches (printf "trim(cast(%s as varchar))" .) "[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$" }}
    then trim(cast({{ . }} as varchar))
  else trim(cast({{ . }} as varchar)) || '+00:00'
end as timestamptz) at time zone 'UTC' as timestamp){{ end }}

{{- /* DuckDB's / on integers returns a double; // truncates like PostgreSQL's integer /. */}}
{{ define "duckdb__int_div" }}(cast({{ index . 0 }} as bigint) // cast({{ index . 1 }} as bigint)){{ end }}
{{ define "postgres__int_div" }}(cast({{ index . 0 }} as bigint) / cast({{ index . 1 }} as bigint)){{ end }}

{{ define "default__cast_text" }}cast({{ . }} as varchar){{ end }}

{{ define "default__clean_text" }}nullif(trim(cast({{ . }} as varchar)), ''){{ end }}

{{ define "duckdb__regex_matches" }}regexp_matches({{ index . 0 }}, '{{ index . 1 }}'){{ end }}
{{ define "postgres__regex_matches" }}({{ index . 0 }} ~ '{{ index . 1 }}'){{ end }}

{{ define "default__regex_replace" }}regexp_replace({{ index . 0 }}, '{{ index . 1 }}', '{{ index . 2 }}', 'g'){{ end }}

{{ define "default__digits_only" }}nullif({{ regex_replace (printf "cast(%s as varchar)" .) "[^0-9]" "" }}, ''){{ end }}

{{ define "default__file_stem" }}regexp_replace(regexp_replace(cast({{ . }} as varchar), '^.*/', ''), '[.][^.]*$', ''){{ end }}

{{- /* lower() of 'Ã' depends on the PostgreSQL database's ctype, so it is folded by hand. */}}
{{ define "default__bool_word" }}(case lower(replace(trim(cast({{ . }} as varchar)), 'Ã', 'ã'))
  when 'sim' then true when 'yes' then true when 'true' then true
  when 'não' then false when 'nao' then false when 'no' then false when 'false' then false
end){{ end }}

{{ define "default__collate_c" }}{{ . }} collate "C"{{ end }}

{{ define "default__string_agg_ordered" }}string_agg({{ index . 0 }}, {{ index . 1 }} order by {{ index . 2 }}){{ end }}

{{ define "default__json_quote" }}cast(to_json(cast({{ . }} as varchar)) as varchar){{ end }}

{{ define "duckdb__json_get_text" }}json_extract_string(cast({{ index . 0 }} as json), '$."{{ replace "'" "''" (index . 1) }}"'){{ end }}
{{ define "postgres__json_get_text" }}(cast({{ index . 0 }} as json) ->> '{{ replace "'" "''" (index . 1) }}'){{ end }}

{{ define "duckdb__json_each_text" }}lateral (
    select je.key as key, json_extract_string(je.value, '$') as value
    from json_each(case when json_type(cast({{ index . 0 }} as json)) = 'OBJECT' then cast({{ index . 0 }} as json) end) je
  ) as {{ index . 1 }}{{ end }}
{{ define "postgres__json_each_text" }}lateral json_each_text(case when json_typeof(cast({{ index . 0 }} as json)) = 'object' then cast({{ index . 0 }} as json) end) as {{ index . 1 }}(key, value){{ end }}

{{ define "default__sql_string" }}'{{ replace "'" "''" (toString .) }}'{{ end }}

{{ define "default__quote_identifier" }}"{{ replace "\"" "\"\"" (toString .) }}"{{ end }}
