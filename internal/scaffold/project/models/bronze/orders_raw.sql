-- Bronze: the seed as it landed.
select * from {{ ref "raw_orders" }}
