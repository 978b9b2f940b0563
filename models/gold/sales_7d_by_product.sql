{{- /*
Sales per day and product over the 7 days var as_of - 6 ... as_of (default
as_of: the run's date): one row per day and product with sales.
*/ -}}
with params as (
  select {{ sn_as_of }} as as_of
)

select
  s."date",
  s.name_product,
  cast(sum(s.sales_value) as decimal(18, 2)) as total_sales_value,
  cast(sum(s.quantity) as bigint) as total_quantity,
  cast(count(*) as bigint) as total_sales
from {{ ref "silver.sales" }} as s
cross join params as p
where s."date" between {{ date_add_days "p.as_of" "-6" }} and p.as_of
group by s."date", s.name_product
