{{- /*
Per customer: WhatsApp notifications sent (all time) and the time of the
latest one (UTC); the name is the one on the latest notification. Customers
with no WhatsApp notification are not listed.
*/ -}}
select
  customer_id,
  {{ sn_latest_text "customer_name" "last_event_at" }} as customer_name,
  cast(sum(notifications) as bigint) as whatsapp_notifications,
  max(last_event_at) as last_notification_at
from {{ ref "gold.notifications_per_minute" }}
where channel = 'whatsapp'
group by customer_id
