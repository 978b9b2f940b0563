{{- /* Lands seeds/quarantine/marketing_sends.csv as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/marketing_sends.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "marketing_sends" }} as src
