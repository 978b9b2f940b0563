{{- /*
One row per customer, account and month: the month normalized to its first
day and the month's invoices summed (a month with two invoice lines counts
once, with their total). Rows missing a key, month or amount are dropped.
Amounts are DECIMAL(18,2) so later averages are exact.
*/ -}}
with typed as (
  select
    {{ clean_text "customer" }} as customer,
    {{ clean_text "account" }} as account,
    {{ date_trunc_month (parse_date "month") }} as month,
    cast(invoice as decimal(18, 2)) as invoice
  from {{ ref "invoices_raw" }}
)

select
  customer,
  account,
  month,
  cast(sum(invoice) as decimal(18, 2)) as invoice,
  count(*) as invoice_lines
from typed
where customer is not null
  and account is not null
  and month is not null
  and invoice is not null
group by customer, account, month
