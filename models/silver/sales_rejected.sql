{{- /*
The sales rows silver.sales drops, as received (texts trimmed), each with the
first rule it breaks (see sn_sales_checked in macros/sales_macros.sql).
*/ -}}
select
  id,
  email_employee,
  email_customer,
  first_name,
  last_name,
  phone_number,
  name_product,
  price_text as price,
  quantity_text as quantity,
  date_text as "date",
  created_at_text as created_at,
  reject_reason,
  _source_file
from ({{ sn_sales_checked (ref "bronze.sales_raw") }}) as checked
where reject_reason is not null
