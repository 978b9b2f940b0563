{{- /*
Notification events, typed and deduplicated: one row per message_id.

Incremental (append), in two steps. Files first: seeds.notifications is an
incremental seed (only new and changed files are loaded), and each row here
records the line count of its file when it was read (_source_file_lines). A
build reads only the files this table has not read yet, or whose line count
changed since (a file that grew); the files it has read are not scanned
again. Messages second: among the lines of those files, only message_ids
this table does not hold yet are inserted (an anti-join on the id as
received), so a redelivery in a later file, or in the grown part of a file,
is never stored twice, and a late event is caught whatever its event time.
Every build's rows carry _batch = the table's highest _batch + 1 (1 on a
full build); gold.notifications_per_minute uses it to find the minutes to
recount. Rebuild this table together with its descendants
(`-s silver.notifications+ --full-refresh`), also after changing a file
already read without changing its line count.

Among copies of one message in the same build, valid copies win, then the
earliest event time (ties: file, then texts). Events without message_id,
customer_id or channel, or whose event_datetime is not ISO 8601
(sn_iso_valid), are left out; a file none of whose events was kept is read
again on the next build.

Speed: the file step is two narrow GROUP BYs (one per file) and a join that
DuckDB pushes into the seed's scan, so an incremental build touches only the
lines of new files; the anti-join then compares only those lines' ids. The
row_number() dedupe runs only over ids that occur more than once (a narrow
GROUP BY finds them), not over every event. The validity filters sit after
the dedupe so the optimizer cannot push them (and the parsing) below the
anti-join.
*/ -}}
{{ config "materialized" "incremental" "incremental_strategy" "append" }}
with raw_files as (
  select _source_file, count(*) as lines
  from {{ ref "bronze.notifications_raw" }}
  group by _source_file
),

files_to_read as (
  select f._source_file, f.lines
  from raw_files as f
{{- if is_incremental }}
  left join (
    select _source_file, max(_source_file_lines) as lines
    from {{ this }}
    group by _source_file
  ) as done on done._source_file = f._source_file
  where done.lines is null or done.lines <> f.lines
{{- end }}
),

fresh as (
  select raw.*, files.lines as _source_file_lines
  from {{ ref "bronze.notifications_raw" }} as raw
{{- if is_incremental }}
  join files_to_read as files on files._source_file = raw._source_file
  {{- /* Nothing else in this WHERE: DuckDB then plans a plain hash anti-join
         (an extra condition made it decorrelate into a much slower one). */}}
  where not exists (select 1 from {{ this }} as stored where stored.message_id = {{ cast_text "raw.message_id" }})
{{- else }}
  left join files_to_read as files on files._source_file = raw._source_file
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
    _source_file,
    _source_file_lines
  from fresh
),

parsed as (
  select
    message_id, customer_id, customer_name, channel, payload, _source_file, _source_file_lines,
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
  select c.message_id, c.customer_id, c.customer_name, c.channel, c.payload, c.event_at, c._source_file, c._source_file_lines, c.is_valid
  from checked as c
  left join repeated as r on r.message_id = c.message_id
  where r.message_id is null
  union all
  select message_id, customer_id, customer_name, channel, payload, event_at, _source_file, _source_file_lines, is_valid
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
  cast(_source_file_lines as bigint) as _source_file_lines,
{{- if is_incremental }}
  cast((select coalesce(max(_batch), 0) + 1 from {{ this }}) as integer) as _batch
{{- else }}
  cast(1 as integer) as _batch
{{- end }}
from kept
where is_valid = 1
