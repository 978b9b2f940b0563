-- Gold: what the dashboard reads.
select customer, count(*) as orders, sum(amount) as revenue
from {{ ref "orders" }}
group by customer
