{{- /* Every row of the current snapshot carries its channel's rule: the days of
       seeds/quarantine_rules.csv (or var quarantine_default_days for a channel
       without a line), and data_saida_prevista = data_envio + those days; Fraude
       ('ate_exclusao') rows have neither. Returns the rows that disagree. */ -}}
{{- $default_days := var "quarantine_default_days" 40 }}
with expected as (
  select
    q.id_cliente,
    q.canal,
    q.quarentena_dias,
    q.data_envio,
    q.data_saida_prevista,
    case
      when coalesce(r.regra, 'dias') = 'dias'
        then coalesce(r.quarentena_dias, cast({{ sql_string $default_days }} as integer))
    end as expected_days
  from {{ ref "quarantine_current" }} as q
  left join {{ ref "quarantine_channel_rules" }} as r
    on r.canal = q.canal
)

select *
from expected
where (quarentena_dias is null) <> (expected_days is null)
   or quarentena_dias <> expected_days
   or (data_saida_prevista is null) <> (expected_days is null)
   or data_saida_prevista <> {{ date_add_days "data_envio" "expected_days" }}
