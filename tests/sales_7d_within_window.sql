{{- /* The 7-day tables hold only days as_of - 6 ... as_of. Returns the rows
       outside. */ -}}
with params as (
  select {{ sn_as_of }} as as_of
)

select 'sales_7d_by_seller' as model, t."date"
from {{ ref "gold.sales_7d_by_seller" }} as t
cross join params as p
where t."date" < {{ date_add_days "p.as_of" "-6" }} or t."date" > p.as_of

union all

select 'sales_7d_by_product', t."date"
from {{ ref "gold.sales_7d_by_product" }} as t
cross join params as p
where t."date" < {{ date_add_days "p.as_of" "-6" }} or t."date" > p.as_of
