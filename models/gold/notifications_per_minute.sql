{{- /*
Notifications per customer, channel and minute (UTC).

Incremental (merge on customer_id, channel, minute). silver.notifications
stamps each build's new events with a higher _batch; this model keeps, per
row, the highest _batch it has counted. A build takes the (customer, channel,
minute) keys of the silver events whose _batch is above the highest here —
exactly the events that arrived since this table was last built, late ones
included — and recounts those minutes in full from silver. The merge then
replaces each such minute (or adds it), so a late event updates its minute
and nothing is ever counted twice, however often a build is repeated.
*/ -}}
{{ config "materialized" "incremental" "incremental_strategy" "merge" "unique_key" (list "customer_id" "channel" "minute") }}
with
{{- if is_incremental }}
touched as (
  select distinct customer_id, channel, event_minute
  from {{ ref "silver.notifications" }}
  where _batch > (select coalesce(max(_batch), 0) from {{ this }})
),

events as (
  select n.*
  from {{ ref "silver.notifications" }} as n
  join touched as t
    on t.customer_id = n.customer_id
    and t.channel = n.channel
    and t.event_minute = n.event_minute
)
{{- else }}
events as (
  select * from {{ ref "silver.notifications" }}
)
{{- end }}

select
  customer_id,
  {{ sn_latest_text "customer_name" "event_at" }} as customer_name,
  channel,
  event_minute as minute,
  cast(count(*) as bigint) as notifications,
  max(event_at) as last_event_at,
  cast(max(_batch) as integer) as _batch
from events
group by customer_id, channel, event_minute
