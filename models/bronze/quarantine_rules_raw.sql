{{- /* Lands seeds/quarantine_rules.csv as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine_rules.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "quarantine_rules" }} as src
