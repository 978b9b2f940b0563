{{- /* Lands seeds/sales.csv (the CRM's sales table) as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/sales.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "seeds.sales" }} as src
