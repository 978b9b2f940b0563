{{- /*
Sales per seller and day over the 7 days var as_of - 6 ... as_of (default
as_of: the run's date): one row per seller and day with sales. seller_name
comes from silver.employees by e-mail and is null for an unknown seller.
*/ -}}
with params as (
  select {{ sn_as_of }} as as_of
),

recent as (
  select s.*
  from {{ ref "silver.sales" }} as s
  cross join params as p
  where s."date" between {{ date_add_days "p.as_of" "-6" }} and p.as_of
)

select
  s.email_employee,
  e.full_name as seller_name,
  s."date",
  cast(sum(s.sales_value) as decimal(18, 2)) as total_sales_value,
  cast(sum(s.quantity) as bigint) as total_quantity,
  cast(count(*) as bigint) as total_sales
from recent as s
left join {{ ref "silver.employees" }} as e on e.email = s.email_employee
group by s.email_employee, e.full_name, s."date"
