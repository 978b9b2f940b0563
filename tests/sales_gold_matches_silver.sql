{{- /* The sales gold tables agree with silver.sales (one test on purpose:
       see the report on multi-model tests):
         - per day of as_of - 6 ... as_of, the seller table, the product
           table and silver have the same number of sales and value;
         - gold.audience_recommendations lists exactly the customers with a
           sale on as_of - 2 ... as_of.
       Returns what differs. */ -}}
with params as (
  select {{ sn_as_of }} as as_of
),

expected as (
  select s."date", count(*) as sales, sum(s.sales_value) as sales_value
  from {{ ref "silver.sales" }} as s
  cross join params as p
  where s."date" between {{ date_add_days "p.as_of" "-6" }} and p.as_of
  group by s."date"
),

by_seller as (
  select "date", sum(total_sales) as sales, sum(total_sales_value) as sales_value
  from {{ ref "gold.sales_7d_by_seller" }}
  group by "date"
),

by_product as (
  select "date", sum(total_sales) as sales, sum(total_sales_value) as sales_value
  from {{ ref "gold.sales_7d_by_product" }}
  group by "date"
),

buyers as (
  select distinct s.email_customer
  from {{ ref "silver.sales" }} as s
  cross join params as p
  where s.email_customer is not null
    and s."date" between {{ date_add_days "p.as_of" "-2" }} and p.as_of
)

select
  cast(coalesce(e."date", s."date", p."date") as varchar) as subject,
  '7-day totals differ (silver, by seller, by product): '
    || coalesce(cast(e.sales as varchar), '-') || ', '
    || coalesce(cast(s.sales as varchar), '-') || ', '
    || coalesce(cast(p.sales as varchar), '-') as problem
from expected as e
full outer join by_seller as s on s."date" = e."date"
full outer join by_product as p on p."date" = coalesce(e."date", s."date")
where e.sales is null or s.sales is null or p.sales is null
  or e.sales <> s.sales or e.sales <> p.sales
  or e.sales_value <> s.sales_value or e.sales_value <> p.sales_value

union all

select
  coalesce(b.email_customer, a.email_customer),
  case when a.email_customer is null then 'missing from audience_recommendations' else 'no purchase in the last 3 days' end
from buyers as b
full outer join {{ ref "gold.audience_recommendations" }} as a on a.email_customer = b.email_customer
where b.email_customer is null or a.email_customer is null
