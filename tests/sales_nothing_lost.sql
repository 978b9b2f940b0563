{{- /* Every row of the sales input is either in silver.sales or in
       silver.sales_rejected, never both and never neither. Returns the
       counts when they do not add up. */ -}}
with counts as (
  select
    (select count(*) from {{ ref "bronze.sales_raw" }}) as landed,
    (select count(*) from {{ ref "silver.sales" }}) as kept,
    (select count(*) from {{ ref "silver.sales_rejected" }}) as rejected
)

select landed, kept, rejected
from counts
where landed <> kept + rejected
