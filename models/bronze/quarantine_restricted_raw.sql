{{- /* Lands seeds/quarantine/restricted.json as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/restricted.json' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "restricted" }} as src
