{{- /* Lands seeds/quarantine/fraud_suspects.parquet as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/quarantine/fraud_suspects.parquet' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "fraud_suspects" }} as src
