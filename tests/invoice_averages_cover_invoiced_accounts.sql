{{- /* gold.invoice_averages has one row for each (customer, account) with an
       invoice month before the reference month, and no other. Returns the pairs
       found on one side only. */ -}}
{{- $reference := trunc 10 (toString (var "invoice_reference_month" "2020-01-01")) }}
with expected as (
  select distinct customer, account
  from {{ ref "invoices_monthly" }}
  where month < {{ date_trunc_month (printf "cast(%s as date)" (sql_string $reference)) }}
)

select
  coalesce(e.customer, a.customer) as customer,
  coalesce(e.account, a.account) as account,
  case when a.customer is null then 'missing from invoice_averages' else 'no invoice before the reference month' end as problem
from expected as e
full outer join {{ ref "invoice_averages" }} as a
  on a.customer = e.customer and a.account = e.account
where e.customer is null or a.customer is null
