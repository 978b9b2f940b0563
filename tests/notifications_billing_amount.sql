{{- /* amount = whatsapp_notifications x var price_per_notification (default
       0.04), to the cent. Returns the rows whose amount is off. */ -}}
{{- $price := toString (var "price_per_notification" 0.04) }}
select customer_id, day, whatsapp_notifications, amount
from {{ ref "gold.notification_billing_daily" }}
where amount <> cast(whatsapp_notifications * cast({{ sql_string $price }} as decimal(18, 6)) as decimal(18, 2))
