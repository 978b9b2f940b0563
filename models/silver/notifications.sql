{{- /*
Notification events, typed and deduplicated: one row per message_id.

Incremental (append). The notifications seed is reloaded whole on every
build, so "new" cannot mean "in the seed": a build inserts only the events
whose message_id this table does not hold yet (an anti-join on the id as
received), which catches late events whatever their event time and never
stores a message twice. Every build's rows carry _batch = the table's highest
_batch + 1 (1 on a full build); gold.notifications_per_minute uses it to find
the minutes to recount. Rebuild this table together with its descendants
(`-s silver.notifications+ --full-refresh`).

Among copies of one message in the same build, valid copies win, then the
earliest event time (ties: file, then texts). Events without message_id,
customer_id or channel, or whose event_datetime is not ISO 8601
(sn_iso_valid), are left out; they are looked at again on every build.

Speed: the anti-join comes first, on the raw id, so an incremental build
parses only new lines; the row_number() dedupe runs only over ids that occur
more than once (a narrow GROUP BY finds them), not over every event. The
validity filters sit after the dedupe so the optimizer cannot push them
(and the parsing) below the anti-join.
*/ -}}
{{ config "materialized" "incremental" "incremental_strategy" "append" }}
with fresh as (
  select raw.*
  from {{ ref "bronze.notifications_raw" }} as raw
{{- if is_incremental }}
  {{- /* Nothing else in this WHERE: DuckDB then plans a plain hash anti-join
         (an extra condition made it decorrelate into a much slower one). */}}
  where not exists (select 1 from {{ this }} as stored where stored.message_id = {{ cast_text "raw.message_id" }})
{{- end }}
),

typed as (
  select
    {{ cast_text "message_id" }} as message_id,
    {{ clean_text "customer_id" }} as customer_id,
    {{ clean_text "customer_name" }} as customer_name,
    lower({{ clean_text "channel" }}) as channel,
    {{ cast_text "payload" }} as payload,
    {{ clean_text "event_datetime" }} as event_datetime_text,
    _source_file
  from fresh
),

parsed as (
  select
    message_id, customer_id, customer_name, channel, payload, _source_file,
    {{ sn_iso_utc "event_datetime_text" }} as event_at
  from typed
),

checked as (
  select
    parsed.*,
    case when message_id <> '' and customer_id is not null and channel is not null and event_at is not null
      then 1 else 0 end as is_valid
  from parsed
),

repeated as (
  select message_id
  from checked
  group by message_id
  having count(*) > 1
),

first_copies as (
  select *
  from (
    select
      c.*,
      row_number() over (
        partition by c.message_id
        order by c.is_valid desc,
          c.event_at,
          {{ collate_c "c._source_file" }},
          {{ collate_c "c.customer_id" }},
          {{ collate_c "c.channel" }},
          {{ collate_c "c.customer_name" }} nulls last,
          {{ collate_c "c.payload" }} nulls last
      ) as copy_number
    from checked as c
    where c.message_id in (select message_id from repeated)
  ) as numbered
  where copy_number = 1
),

kept as (
  select c.message_id, c.customer_id, c.customer_name, c.channel, c.payload, c.event_at, c._source_file, c.is_valid
  from checked as c
  left join repeated as r on r.message_id = c.message_id
  where r.message_id is null
  union all
  select message_id, customer_id, customer_name, channel, payload, event_at, _source_file, is_valid
  from first_copies
)

select
  message_id,
  customer_id,
  customer_name,
  channel,
  payload,
  event_at,
  date_trunc('minute', event_at) as event_minute,
  _source_file,
{{- if is_incremental }}
  cast((select coalesce(max(_batch), 0) + 1 from {{ this }}) as integer) as _batch
{{- else }}
  cast(1 as integer) as _batch
{{- end }}
from kept
where is_valid = 1
