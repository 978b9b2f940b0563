{{- /* Lands seeds/quarantine/offers.csv as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/offers.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "offers" }} as src
