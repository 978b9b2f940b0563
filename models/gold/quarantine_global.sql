{{- /*
Customers who must not be contacted yet, from every channel, as a daily
snapshot for the load date data_carga (var, default: the run's date).

Incremental by data_carga: each build computes the snapshot of one
data_carga only and replaces that day's rows (all of them, even when nobody
is in quarantine that day) while the earlier snapshots stay (history).
--full-refresh rebuilds with only the current snapshot.

Rules (channel days come from silver.quarantine_channel_rules, else var
quarantine_default_days):
  - qtd_dias = days from data_envio to data_carga; sends after data_carga
    (qtd_dias < 0) are not real yet and are left out;
  - regra 'dias': in quarantine while qtd_dias <= quarentena_dias, leaving on
    data_saida_prevista = data_envio + quarentena_dias;
  - regra 'ate_exclusao' (Fraude): in while data_exclusao is null or after
    data_carga; quarentena_dias and data_saida_prevista are null;
  - one row per (id_cliente, canal): the most recent send in quarantine wins.
*/ -}}
{{- /* The pre-hook empties the day before the insert, in the same
       transaction: delete+insert alone deletes only the days it inserts,
       so a rebuilt day with nobody in quarantine would keep its old rows. */}}
{{ config "materialized" "incremental" "unique_key" "data_carga" "incremental_strategy" "delete+insert" "on_schema_change" "fail"
  "pre_hook" "{{ if is_incremental }}delete from {{ this }} where data_carga = cast({{ sql_string qg_data_carga }} as date){{ end }}" }}
{{- $data_carga := qg_data_carga }}
{{- $default_days := var "quarantine_default_days" 40 }}
with params as (
  select cast({{ sql_string $data_carga }} as date) as data_carga
),

sends as (
  select
    s.id_cliente,
    s.canal,
    s.email,
    s.telefone,
    coalesce(s.assunto, r.assunto_padrao) as assunto,
    s.data_envio,
    s.enviado_em,
    s.data_exclusao,
    s._source_file,
    coalesce(r.regra, 'dias') as regra,
    case
      when coalesce(r.regra, 'dias') = 'dias'
        then coalesce(r.quarentena_dias, cast({{ sql_string $default_days }} as integer))
    end as quarentena_dias,
    p.data_carga,
    {{ datediff_days "s.data_envio" "p.data_carga" }} as qtd_dias
  from {{ ref "quarantine_sends" }} as s
  cross join params as p
  left join {{ ref "quarantine_channel_rules" }} as r
    on r.canal = s.canal
),

in_quarantine as (
  select *
  from sends
  where qtd_dias >= 0
    and (
      (regra = 'dias' and qtd_dias <= quarentena_dias)
      or (regra = 'ate_exclusao' and (data_exclusao is null or data_exclusao > data_carga))
    )
),

ranked as (
  select
    *,
    row_number() over (
      partition by id_cliente, canal
      order by
        enviado_em desc nulls last,
        {{ collate_c "assunto" }} desc nulls last,
        {{ collate_c "email" }} desc nulls last,
        {{ collate_c "telefone" }} desc nulls last,
        {{ collate_c "_source_file" }} desc nulls last
    ) as recencia
  from in_quarantine
)

select
  id_cliente,
  canal,
  email,
  telefone,
  assunto,
  data_envio,
  qtd_dias,
  quarentena_dias,
  {{ date_add_days "data_envio" "quarentena_dias" }} as data_saida_prevista,
  data_carga
from ranked
where recencia = 1
