{{- /*
One row per customer (by e-mail) who bought in the 3 days var as_of - 2 ...
as_of: their latest purchase (by sale time), its category (from
silver.products), and the category's best-selling other product —
most sales (rows of silver.sales) over the 3 months up to as_of
(as_of - 3 months < day <= as_of), ties to the higher catalogue price, then
the name (byte order). Only products with at least one sale in those months
are candidates; recommended_product and recommended_price are null when the
bought product is not in the catalogue or its category has no other
candidate. Name and phone come from the latest purchase.
*/ -}}
with params as (
  select {{ sn_as_of }} as as_of
),

audience as (
  select distinct s.email_customer
  from {{ ref "silver.sales" }} as s
  cross join params as p
  where s.email_customer is not null
    and s."date" between {{ date_add_days "p.as_of" "-2" }} and p.as_of
),

purchases as (
  select
    s.*,
    row_number() over (
      partition by s.email_customer
      order by s.sold_at desc, s.created_at desc nulls last, {{ collate_c "s.id" }} desc
    ) as recency
  from {{ ref "silver.sales" }} as s
  join audience as a on a.email_customer = s.email_customer
  cross join params as p
  where s."date" <= p.as_of
),

last_purchase as (
  select
    pu.*,
    pr.category
  from purchases as pu
  left join {{ ref "silver.products" }} as pr on pr.name = pu.name_product
  where pu.recency = 1
),

popularity as (
  select s.name_product, count(*) as sales_3_months
  from {{ ref "silver.sales" }} as s
  cross join params as p
  where s."date" > {{ date_add_months "p.as_of" "-3" }}
    and s."date" <= p.as_of
  group by s.name_product
),

candidates as (
  select pr.name, pr.category, pr.price, po.sales_3_months
  from {{ ref "silver.products" }} as pr
  join popularity as po on po.name_product = pr.name
  where pr.category is not null
),

ranked as (
  select
    lp.email_customer,
    c.name,
    c.price,
    row_number() over (
      partition by lp.email_customer
      order by c.sales_3_months desc, c.price desc nulls last, {{ collate_c "c.name" }}
    ) as choice
  from last_purchase as lp
  join candidates as c
    on c.category = lp.category
    and c.name <> lp.name_product
)

select
  lp.email_customer,
  lp.first_name,
  lp.last_name,
  lp.phone_number,
  lp.name_product as last_purchased_product,
  lp.category as last_purchased_category,
  r.name as recommended_product,
  r.price as recommended_price
from last_purchase as lp
left join ranked as r
  on r.email_customer = lp.email_customer
  and r.choice = 1
