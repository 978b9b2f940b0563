{{- /* gold.quarantine_current holds exactly the rows of the latest data_carga of
       gold.quarantine_global. Returns the rows found on one side only. */ -}}
with latest as (
  select *
  from {{ ref "quarantine_global" }}
  where data_carga = (select max(data_carga) from {{ ref "quarantine_global" }})
),

only_in_latest as (
  select l.id_cliente, l.canal, l.data_carga, 'missing from quarantine_current' as problem
  from latest as l
  left join {{ ref "quarantine_current" }} as c
    on c.id_cliente = l.id_cliente and c.canal = l.canal and c.data_carga = l.data_carga
  where c.id_cliente is null
),

only_in_current as (
  select c.id_cliente, c.canal, c.data_carga, 'not in the latest snapshot' as problem
  from {{ ref "quarantine_current" }} as c
  left join latest as l
    on l.id_cliente = c.id_cliente and l.canal = c.canal and l.data_carga = c.data_carga
  where l.id_cliente is null
)

select * from only_in_latest
union all
select * from only_in_current
