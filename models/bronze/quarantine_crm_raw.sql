{{- /* Lands seeds/quarantine/crm_campaigns.xlsx as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/crm_campaigns.xlsx' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "crm_campaigns" }} as src
