{{- /*
The customers in quarantine as of the latest load date kept in
gold.quarantine_global: what a campaign tool checks before contacting anyone.
*/ -}}
select
  id_cliente,
  canal,
  email,
  telefone,
  assunto,
  data_envio,
  qtd_dias,
  quarentena_dias,
  data_saida_prevista,
  data_carga
from {{ ref "quarantine_global" }}
where data_carga = (select max(data_carga) from {{ ref "quarantine_global" }})
