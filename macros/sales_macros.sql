{{- /*
Macros of the sales and notifications pipelines (prefix sn_ so they never
clash with macros/cross_db.sql, whose portable helpers they build on).
Arguments are SQL expressions given as strings; pass an already trimmed text
column, e.g. {{ sn_iso_valid "date_text" }}.

Parsing (one definition of "parseable" for both engines, so DuckDB and
PostgreSQL accept and reject exactly the same texts; nothing here can raise a
cast error on bad input)
  sn_iso_valid      "text_expr"  -> BOOLEAN: an ISO 8601 date or date-time that exists on the calendar:
                                     YYYY-MM-DD, optionally followed by T or a space, HH:MM:SS, an optional
                                     fraction of 1 to 6 digits and an optional zone: Z, +HH, +HHMM or +HH:MM
                                     (- as well). Anything else (other layouts, 2024-02-30, 24:00:00) is false.
  sn_iso_local_date "text_expr"  -> DATE: the calendar day as written (the offset is not applied); null unless valid
  sn_iso_utc        "text_expr"  -> TIMESTAMP (no zone): the instant in UTC (no zone written = UTC); null unless valid
  sn_decimal_valid  "text_expr"  -> BOOLEAN: [+-]digits[.digits], at most 12 integer and 6 fraction digits
  sn_decimal        "text_expr"  -> DECIMAL(18,6) or null unless sn_decimal_valid
  sn_integer        "text_expr"  -> INTEGER or null unless [+-] and 1 to 9 digits
Run-time values
  sn_as_of                       -> DATE literal of var as_of (default: the run's date)
Aggregates and shared queries (documented where defined, below)
  sn_latest_text    "value" "at" -> aggregate: the value of the latest row (DuckDB arg_max, PostgreSQL array_agg)
  sn_later_text     "value_a" "at_a" "value_b" "at_b" -> the value of the later pair (merges two sn_latest_text results)
Tests
  sn_newest_batch   relation     -> condition for a test's where: the rows of the relation's newest _batch
  sn_sales_checked  relation     -> every raw sale with its parsed fields and reject_reason
*/ -}}

{{ define "sn_iso_pattern" }}^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?${{ end }}

{{- /* The pattern bounds month and day; the CASE guards the day-of-month check
       so its casts only ever see digits (both engines evaluate CASE lazily). */}}
{{ define "default__sn_iso_valid" }}coalesce(case when {{ regex_matches . (sn_iso_pattern) }} then
  substr({{ . }}, 1, 4) <> '0000'
  and (substr({{ . }}, 9, 2) <= '28'
    or substr({{ . }}, 6, 2) in ('01', '03', '05', '07', '08', '10', '12')
    or (substr({{ . }}, 6, 2) in ('04', '06', '09', '11') and substr({{ . }}, 9, 2) <= '30')
    or (substr({{ . }}, 6, 2) = '02' and substr({{ . }}, 9, 2) = '29'
        and mod(cast(substr({{ . }}, 1, 4) as integer), 4) = 0
        and (mod(cast(substr({{ . }}, 1, 4) as integer), 100) <> 0 or mod(cast(substr({{ . }}, 1, 4) as integer), 400) = 0)))
end, false){{ end }}

{{ define "default__sn_iso_local_date" }}(case when {{ sn_iso_valid . }} then cast(substr({{ . }}, 1, 10) as date) end){{ end }}

{{- /* A valid text is completed to date, time and zone (a missing zone means
       UTC), read as timestamptz and turned into the UTC wall time. DuckDB takes
       the epoch, which is much faster than AT TIME ZONE on ICU. */}}
{{ define "sn_iso_completed" }}(case
  when length({{ . }}) = 10 then {{ . }} || 'T00:00:00Z'
  when substr({{ . }}, length({{ . }}), 1) = 'Z' or strpos(substr({{ . }}, 12), '+') > 0 or strpos(substr({{ . }}, 12), '-') > 0 then {{ . }}
  else {{ . }} || 'Z'
end){{ end }}
{{ define "duckdb__sn_iso_utc" }}(case when {{ sn_iso_valid . }} then make_timestamp(epoch_us(cast({{ sn_iso_completed . }} as timestamptz))) end){{ end }}
{{ define "postgres__sn_iso_utc" }}(case when {{ sn_iso_valid . }} then cast(cast({{ sn_iso_completed . }} as timestamptz) at time zone 'UTC' as timestamp) end){{ end }}

{{ define "default__sn_decimal_valid" }}coalesce({{ regex_matches . "^[+-]?[0-9]{1,12}([.][0-9]{1,6})?$" }}, false){{ end }}

{{ define "default__sn_decimal" }}(case when {{ sn_decimal_valid . }} then cast({{ . }} as decimal(18, 6)) end){{ end }}

{{ define "default__sn_integer" }}(case when {{ regex_matches . "^[+-]?[0-9]{1,9}$" }} then cast({{ . }} as integer) end){{ end }}

{{ define "sn_as_of" }}cast({{ sql_string (trunc 10 (toString (var "as_of" today))) }} as date){{ end }}

{{- /*
sn_sales_checked (ref "bronze.sales_raw") -> a query with every raw sale, its
parsed fields and reject_reason (null when the sale is kept). Shared by
silver.sales and silver.sales_rejected so both apply the very same rules, in
this order (a row gets the first reason that applies):
  missing_id     id empty
  duplicate_id   another row of the id has a later created_at (ties: later
                 sale time, then the greater raw texts): only the latest
                 version of a sale counts, and it is judged on its own
  missing_date   date empty
  invalid_date   date not ISO 8601 or not on the calendar (see sn_iso_valid)
  future_date    the sale's day after var as_of
  invalid_price  price empty or not a plain decimal (e.g. "1.299,00")
  price_outlier  price <= 0 or price >= var sales_outlier_price (default 8000)
The sale's day is the calendar day written in its timestamp (the seller's
local day: the offset is not applied); sold_at is the same instant in UTC.
*/ -}}
{{ define "sn_sales_checked" }}
with typed as (
  select
    {{ clean_text "id" }} as id,
    lower({{ clean_text "email_employee" }}) as email_employee,
    lower({{ clean_text "email_customer" }}) as email_customer,
    {{ clean_text "first_name" }} as first_name,
    {{ clean_text "last_name" }} as last_name,
    {{ clean_text "phone_number" }} as phone_number,
    {{ clean_text "price" }} as price_text,
    {{ clean_text "quantity" }} as quantity_text,
    {{ clean_text "name_product" }} as name_product,
    {{ clean_text `"date"` }} as date_text,
    {{ clean_text "created_at" }} as created_at_text,
    _source_file
  from {{ . }}
),

parsed as (
  select
    typed.*,
    {{ sn_iso_local_date "date_text" }} as sale_date,
    {{ sn_iso_utc "date_text" }} as sold_at,
    {{ sn_iso_utc "created_at_text" }} as created_at,
    {{ sn_decimal "price_text" }} as price,
    {{ sn_integer "quantity_text" }} as quantity
  from typed
),

versioned as (
  select
    parsed.*,
    row_number() over (
      partition by id
      order by created_at desc nulls last,
        sold_at desc nulls last,
        {{ collate_c "created_at_text" }} desc nulls last,
        {{ collate_c "date_text" }} desc nulls last,
        {{ collate_c "price_text" }} desc nulls last,
        {{ collate_c "quantity_text" }} desc nulls last,
        {{ collate_c "name_product" }} desc nulls last,
        {{ collate_c "email_employee" }} desc nulls last,
        {{ collate_c "email_customer" }} desc nulls last,
        {{ collate_c "first_name" }} desc nulls last,
        {{ collate_c "last_name" }} desc nulls last,
        {{ collate_c "phone_number" }} desc nulls last
    ) as version
  from parsed
)

select
  versioned.*,
  case
    when id is null then 'missing_id'
    when version > 1 then 'duplicate_id'
    when date_text is null then 'missing_date'
    when sale_date is null then 'invalid_date'
    when sale_date > {{ sn_as_of }} then 'future_date'
    when price is null then 'invalid_price'
    when price <= 0 or price >= cast({{ sql_string (toString (var "sales_outlier_price" 8000)) }} as decimal(18, 6)) then 'price_outlier'
  end as reject_reason
from versioned
{{ end }}

{{- /*
sn_latest_text "value_expr" "at_expr" -> aggregate: the non-null value of the
row with the greatest at_expr (ties: the greatest value, byte order); null when
every value is null.
*/ -}}
{{ define "duckdb__sn_latest_text" }}arg_max({{ index . 0 }}, ({{ index . 1 }}, {{ index . 0 }})){{ end }}
{{ define "postgres__sn_latest_text" }}(array_agg({{ index . 0 }} order by {{ index . 1 }} desc, {{ collate_c (index . 0) }} desc) filter (where {{ index . 0 }} is not null))[1]{{ end }}

{{- /*
sn_later_text "value_a" "at_a" "value_b" "at_b" -> the value of the later of
two (value, at) pairs, as sn_latest_text would pick it from the rows behind
both: a null value never wins, ties on at go to the greatest value (byte
order). Incremental models use it to merge what they stored with a new
batch; at_x is the time of value_x's row (null only when value_x is).
*/ -}}
{{ define "default__sn_later_text" }}case
  when {{ index . 2 }} is null then {{ index . 0 }}
  when {{ index . 0 }} is null then {{ index . 2 }}
  when {{ index . 1 }} > {{ index . 3 }} then {{ index . 0 }}
  when {{ index . 1 }} < {{ index . 3 }} then {{ index . 2 }}
  when {{ collate_c (index . 0) }} > {{ collate_c (index . 2) }} then {{ index . 0 }}
  else {{ index . 2 }}
end{{ end }}

{{- /*
sn_newest_batch relation -> a condition on _batch for a data test's where:
only the rows the newest build of an incremental notification model wrote
(all rows after a full build). The models keep their keys unique across
builds by construction (silver.notifications inserts only unseen
message_ids, gold.notifications_per_minute merges on its key; both are unit
tested), so a build need only check that its own rows are unique: a test
over 100 million stored rows would cost more than the build. Set var
notifications_test_all_rows: true to test every row instead.
*/ -}}
{{ define "default__sn_newest_batch" }}
{{- if var "notifications_test_all_rows" false }}1 = 1
{{- else }}_batch = (select max(_batch) from {{ . }})
{{- end }}
{{- end }}
