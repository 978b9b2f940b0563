{{- /*
Average monthly invoice of each (customer, account) over the 3 and the 6
calendar months just before the reference month (var invoice_reference_month,
default 2020-01-01; any day of a month means that month).

  - only pairs with at least one invoice month before the reference month;
  - an average is null unless every month of its window has an invoice;
  - values truncated (not rounded) to 2 decimals, as the reference report
    prints them: the average is computed in whole cents with integer
    division, which is exact on both engines.
*/ -}}
{{- $reference := trunc 10 (toString (var "invoice_reference_month" "2020-01-01")) }}
with params as (
  select {{ date_trunc_month (printf "cast(%s as date)" (sql_string $reference)) }} as reference_month
),

history as (
  select
    m.customer,
    m.account,
    m.month,
    cast(round(m.invoice * 100) as bigint) as invoice_cents,
    p.reference_month,
    case when m.month >= {{ date_add_months "p.reference_month" "-3" }} then 1 else 0 end as in_last_3,
    case when m.month >= {{ date_add_months "p.reference_month" "-6" }} then 1 else 0 end as in_last_6
  from {{ ref "invoices_monthly" }} as m
  cross join params as p
  where m.month < p.reference_month
),

windows as (
  select
    customer,
    account,
    reference_month,
    count(distinct case when in_last_3 = 1 then month end) as months_3,
    sum(case when in_last_3 = 1 then invoice_cents end) as cents_3,
    count(distinct case when in_last_6 = 1 then month end) as months_6,
    sum(case when in_last_6 = 1 then invoice_cents end) as cents_6
  from history
  group by customer, account, reference_month
)

select
  customer,
  account,
  reference_month,
  case
    when months_3 = 3 then cast({{ int_div "cents_3" "3" }} * 0.01 as decimal(18, 2))
  end as avg_invoices_last_3_months,
  case
    when months_6 = 6 then cast({{ int_div "cents_6" "6" }} * 0.01 as decimal(18, 2))
  end as avg_invoices_last_6_months
from windows
