{{- /*
The CRM's sales, cleaned: one row per sale id (its latest version), with a
parseable date on or before var as_of and a price in (0, sales_outlier_price).
Every dropped row is in silver.sales_rejected with its reason; the rules live
in sn_sales_checked (macros/sales_macros.sql).
*/ -}}
select
  id,
  email_employee,
  email_customer,
  first_name,
  last_name,
  phone_number,
  name_product,
  cast(price as decimal(10, 2)) as sales_value,
  quantity,
  sale_date as "date",
  sold_at,
  created_at,
  _source_file
from ({{ sn_sales_checked (ref "bronze.sales_raw") }}) as checked
where reject_reason is null
