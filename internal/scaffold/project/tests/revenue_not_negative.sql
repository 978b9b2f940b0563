-- A singular test: the rows it returns are failures.
select * from {{ ref "customer_revenue" }} where revenue < 0
