-- Silver: typed and cleaned.
select
  cast(order_id as integer) as order_id,
  lower(trim(customer)) as customer,
  cast(amount as decimal(10, 2)) as amount,
  cast(ordered_at as date) as ordered_at
from {{ ref "orders_raw" }}
where cast(amount as decimal(10, 2)) > {{ var "min_order_amount" 0 }}
