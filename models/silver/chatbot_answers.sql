{{- /*
One row per non-empty answer: each message's content object is split into
(answer_key, answer_value). Empty answers (null, '' or blanks) count for
nothing and are dropped here. answered_at is the message's timestamp in UTC
without zone; answer_bool reads sim/não/nao/yes/no/true/false (any case).
*/ -}}
with answers as (
  select
    {{ clean_text "m.customer" }} as customer,
    {{ clean_text "m.flow" }} as flow,
    {{ clean_text "m.session" }} as session,
    {{ to_utc_timestamp "m.\"timestamp\"" }} as answered_at,
    kv.key as answer_key,
    trim(kv.value) as answer_value,
    m._source_file
  from {{ ref "chatbot_raw" }} as m
  cross join {{ json_each_text "m.content" "kv" }}
)

select
  customer,
  flow,
  session,
  answered_at,
  answer_key,
  answer_value,
  {{ bool_word "answer_value" }} as answer_bool,
  _source_file
from answers
where answer_value is not null
  and answer_value <> ''
  and customer is not null
  and flow is not null
  and session is not null
  and answered_at is not null
