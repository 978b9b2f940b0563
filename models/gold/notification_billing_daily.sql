{{- /*
WhatsApp billing per customer and day (UTC): the day's notifications times
var price_per_notification (default 0.04; 25,000 notifications -> 1000.00),
as DECIMAL(18,2). The name is the one on the customer's latest notification
of the day.
*/ -}}
{{- $price := toString (var "price_per_notification" 0.04) }}
with daily as (
  select
    customer_id,
    {{ sn_latest_text "customer_name" "last_event_at" }} as customer_name,
    cast(minute as date) as day,
    sum(notifications) as notifications
  from {{ ref "gold.notifications_per_minute" }}
  where channel = 'whatsapp'
  group by customer_id, cast(minute as date)
)

select
  customer_id,
  customer_name,
  day,
  cast(notifications as bigint) as whatsapp_notifications,
  cast(notifications * cast({{ sql_string $price }} as decimal(18, 6)) as decimal(18, 2)) as amount
from daily
