{{- /*
The product catalogue, one row per product name (sales name their product by
name): the row with the latest created_at wins (ties: the greater id).
Prices that are not plain decimals become null; rows without a name are
dropped.
*/ -}}
with typed as (
  select
    {{ clean_text "id" }} as product_id,
    {{ clean_text "name" }} as name,
    {{ clean_text "description" }} as description,
    {{ sn_decimal (clean_text "price") }} as price,
    {{ clean_text "categoria" }} as category,
    lower({{ clean_text "email_fornecedor" }}) as supplier_email,
    {{ sn_iso_utc (clean_text "created_at") }} as created_at,
    _source_file
  from {{ ref "bronze.products_raw" }}
),

versioned as (
  select
    typed.*,
    row_number() over (
      partition by name
      order by created_at desc nulls last, {{ collate_c "product_id" }} desc nulls last
    ) as version
  from typed
  where name is not null
)

select
  product_id,
  name,
  description,
  cast(price as decimal(10, 2)) as price,
  category,
  supplier_email,
  created_at,
  _source_file
from versioned
where version = 1
