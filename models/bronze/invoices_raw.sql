{{- /* Lands seeds/invoices.csv as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/invoices.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "invoices" }} as src
