{{- /*
One row per send (or registration) from every quarantine channel, in one
shape. Each input names its columns its own way; this is where they become
id_cliente, email, telefone, assunto and data_envio. Cleaning: ids and texts
trimmed (empty -> null), e-mails lower-cased, phones reduced to digits, dates
read from DATE, timestamp or text values (see parse_date in macros/cross_db.sql).
Rows without a customer id cannot be quarantined and are dropped.
*/ -}}
with crm as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    'CRM' as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    {{ clean_text "assunto" }} as assunto,
    {{ parse_date "data_envio" }} as data_envio,
    cast({{ parse_date "data_envio" }} as timestamp) as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_crm_raw" }}
),

marketing as (
  select
    {{ clean_text "customer_id" }} as id_cliente,
    'Marketing' as canal,
    lower({{ clean_text "email_address" }}) as email,
    {{ digits_only "phone" }} as telefone,
    {{ clean_text "subject" }} as assunto,
    cast({{ parse_timestamp "sent_at" }} as date) as data_envio,
    {{ parse_timestamp "sent_at" }} as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_marketing_raw" }}
),

recomendacao as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    'Recomendacao' as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    {{ clean_text "assunto" }} as assunto,
    {{ parse_date "data_envio" }} as data_envio,
    cast({{ parse_date "data_envio" }} as timestamp) as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_recommendations_raw" }}
),

ofertas as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    'Ofertas' as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    {{ clean_text "assunto" }} as assunto,
    {{ parse_date "data_envio" }} as data_envio,
    cast({{ parse_date "data_envio" }} as timestamp) as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_offers_raw" }}
),

restritos as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    'Restritos' as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    {{ clean_text "motivo" }} as assunto,
    {{ parse_date "data_inclusao" }} as data_envio,
    cast({{ parse_date "data_inclusao" }} as timestamp) as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_restricted_raw" }}
),

fraude as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    'Fraude' as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    cast(null as varchar) as assunto,
    {{ parse_date "data_registro" }} as data_envio,
    cast({{ parse_date "data_registro" }} as timestamp) as enviado_em,
    {{ parse_date "data_exclusao" }} as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_fraud_raw" }}
),

{{- /* Any file dropped in seeds/quarantine/actions/ is a channel named after the file. */}}
acoes as (
  select
    {{ clean_text "id_cliente" }} as id_cliente,
    {{ file_stem "_source_file" }} as canal,
    lower({{ clean_text "email" }}) as email,
    {{ digits_only "telefone" }} as telefone,
    {{ clean_text "assunto" }} as assunto,
    {{ parse_date "data_envio" }} as data_envio,
    cast({{ parse_date "data_envio" }} as timestamp) as enviado_em,
    cast(null as date) as data_exclusao,
    _source_file,
    _loaded_at
  from {{ ref "quarantine_actions_raw" }}
),

todos as (
  select * from crm
  union all select * from marketing
  union all select * from recomendacao
  union all select * from ofertas
  union all select * from restritos
  union all select * from fraude
  union all select * from acoes
)

select
  id_cliente,
  canal,
  email,
  telefone,
  assunto,
  data_envio,
  enviado_em,
  data_exclusao,
  _source_file,
  cast(_loaded_at as timestamp) as _loaded_at
from todos
where id_cliente is not null
