{{- /*
WhatsApp billing per customer and day (UTC): the day's notifications times
var price_per_notification (default 0.04; 25,000 notifications -> 1000.00),
as DECIMAL(18,2). The name is the one on the customer's latest notification
of the day that has one.

Incremental (merge on customer_id and day), by addition like
gold.notifications_dashboard: a build counts only the WhatsApp events of
silver.notifications with _batch above the highest stored here, per customer
and day, and adds them to the stored day (a late event adds to its own day,
however old). Stored days whose amount is not what the current price gives
are repriced in the same merge, so a changed price_per_notification applies
to every day; other days are not touched.
*/ -}}
{{- $price := toString (var "price_per_notification" 0.04) }}
{{- $amount := printf "cast(%%s * cast(%s as decimal(18, 6)) as decimal(18, 2))" (sql_string $price) }}
{{ config "materialized" "incremental" "incremental_strategy" "merge" "unique_key" (list "customer_id" "day") }}
with new_events as (
  select
    customer_id,
    cast(event_at as date) as day,
    cast(count(*) as bigint) as notifications,
    {{ sn_latest_text "customer_name" "event_at" }} as customer_name,
    max(case when customer_name is not null then event_at end) as customer_name_at,
    cast(max(_batch) as integer) as _batch
  from {{ ref "silver.notifications" }}
  where channel = 'whatsapp'
{{- if is_incremental }}
    and _batch > (select coalesce(max(_batch), 0) from {{ this }})
{{- end }}
  group by customer_id, cast(event_at as date)
),

days as (
{{- if is_incremental }}
  select
    n.customer_id,
    {{ sn_later_text "n.customer_name" "n.customer_name_at" "old.customer_name" "old._customer_name_at" }} as customer_name,
    n.day,
    n.notifications + coalesce(old.whatsapp_notifications, 0) as notifications,
    case when old._customer_name_at > n.customer_name_at or n.customer_name_at is null then old._customer_name_at
      else n.customer_name_at end as customer_name_at,
    n._batch
  from new_events as n
  left join {{ this }} as old on old.customer_id = n.customer_id and old.day = n.day

  union all

  select old.customer_id, old.customer_name, old.day, old.whatsapp_notifications, old._customer_name_at, old._batch
  from {{ this }} as old
  where old.amount <> {{ printf $amount "old.whatsapp_notifications" }}
    and not exists (select 1 from new_events as n where n.customer_id = old.customer_id and n.day = old.day)
{{- else }}
  select customer_id, customer_name, day, notifications, customer_name_at, _batch
  from new_events
{{- end }}
)

select
  customer_id,
  customer_name,
  day,
  cast(notifications as bigint) as whatsapp_notifications,
  {{ printf $amount "notifications" }} as amount,
  customer_name_at as _customer_name_at,
  _batch
from days
