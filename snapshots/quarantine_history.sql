{{- /*
The history of who is in quarantine on which channel: one version per
(id_cliente, canal) and send, valid from the send that put the customer in
quarantine until a later send replaced it or the customer left (a hard
delete: the row is gone from gold.quarantine_current, so its version ends
when the snapshot runs). Build once per load date:
  ingot build --vars '{data_carga: 2024-05-29}'
*/ -}}
{{ config "unique_key" (list "id_cliente" "canal") "strategy" "timestamp" "updated_at" "data_envio" "hard_deletes" "invalidate" }}
select id_cliente, canal, assunto, data_envio, data_saida_prevista
from {{ ref "quarantine_current" }}
