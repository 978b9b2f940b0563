{{- /* Every message of silver.notifications is counted exactly once in
       gold.notifications_per_minute, and the dashboard and the daily billing
       agree with it on WhatsApp totals per customer. Returns what differs. */ -}}
with counted as (
  select
    (select count(*) from {{ ref "silver.notifications" }}) as messages,
    (select coalesce(sum(notifications), 0) from {{ ref "gold.notifications_per_minute" }}) as per_minute
),

per_minute as (
  select customer_id, sum(notifications) as n
  from {{ ref "gold.notifications_per_minute" }}
  where channel = 'whatsapp'
  group by customer_id
),

dashboard as (
  select customer_id, whatsapp_notifications as n
  from {{ ref "gold.notifications_dashboard" }}
),

billing as (
  select customer_id, sum(whatsapp_notifications) as n
  from {{ ref "gold.notification_billing_daily" }}
  group by customer_id
)

select 'all customers' as customer_id, 'messages in silver vs counted per minute' as problem,
  messages as expected, per_minute as actual
from counted
where messages <> per_minute

union all

select coalesce(m.customer_id, d.customer_id, b.customer_id), 'whatsapp totals differ (per minute vs dashboard or billing)',
  m.n, coalesce(d.n, b.n)
from per_minute as m
full outer join dashboard as d on d.customer_id = m.customer_id
full outer join billing as b on b.customer_id = coalesce(m.customer_id, d.customer_id)
where m.n is null or d.n is null or b.n is null or m.n <> d.n or m.n <> b.n
