{{- /*
The quarantine rule of each channel, typed: the one place where channel days
live (seeds/quarantine_rules.csv). regra 'dias' keeps a customer for
quarentena_dias days after a send; 'ate_exclusao' keeps them until the
source's exclusion date. A channel without a line here (a new action file)
gets var quarantine_default_days in gold.quarantine_global.
*/ -}}
select
  {{ clean_text "canal" }} as canal,
  lower({{ clean_text "regra" }}) as regra,
  cast({{ clean_text "quarentena_dias" }} as integer) as quarentena_dias,
  {{ clean_text "assunto_padrao" }} as assunto_padrao
from {{ ref "quarantine_rules_raw" }}
where {{ clean_text "canal" }} is not null
