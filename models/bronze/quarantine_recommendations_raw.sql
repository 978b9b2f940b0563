{{- /* Lands seeds/quarantine/recommendations.parquet as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/recommendations.parquet' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "recommendations" }} as src
