{{- /*
Per customer: WhatsApp notifications sent (all time) and the time of the
latest one (UTC); the name is the one on the latest notification that has
one. Customers with no WhatsApp notification are not listed.

Incremental (merge on customer_id), by addition: silver.notifications is
append-only and stamps each build's new events with a higher _batch, so the
WhatsApp events with _batch above the highest stored here are exactly the
ones not yet counted. A build counts only those, per customer, and adds them
to the stored row (late events included: a count does not care about event
time); the latest time and name are the later of the stored and the new
ones. Customers without new events are not touched.
*/ -}}
{{ config "materialized" "incremental" "incremental_strategy" "merge" "unique_key" "customer_id" }}
with new_events as (
  select
    customer_id,
    cast(count(*) as bigint) as notifications,
    max(event_at) as last_notification_at,
    {{ sn_latest_text "customer_name" "event_at" }} as customer_name,
    max(case when customer_name is not null then event_at end) as customer_name_at,
    cast(max(_batch) as integer) as _batch
  from {{ ref "silver.notifications" }}
  where channel = 'whatsapp'
{{- if is_incremental }}
    and _batch > (select coalesce(max(_batch), 0) from {{ this }})
{{- end }}
  group by customer_id
)

{{- if is_incremental }}

select
  n.customer_id,
  {{ sn_later_text "n.customer_name" "n.customer_name_at" "old.customer_name" "old._customer_name_at" }} as customer_name,
  cast(n.notifications + coalesce(old.whatsapp_notifications, 0) as bigint) as whatsapp_notifications,
  case when old.last_notification_at > n.last_notification_at then old.last_notification_at
    else n.last_notification_at end as last_notification_at,
  case when old._customer_name_at > n.customer_name_at or n.customer_name_at is null then old._customer_name_at
    else n.customer_name_at end as _customer_name_at,
  n._batch
from new_events as n
left join {{ this }} as old on old.customer_id = n.customer_id
{{- else }}

select
  customer_id,
  customer_name,
  notifications as whatsapp_notifications,
  last_notification_at,
  customer_name_at as _customer_name_at,
  _batch
from new_events
{{- end }}
