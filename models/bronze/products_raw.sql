{{- /* Lands seeds/products.csv (the CRM's product catalogue) as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/products.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "seeds.products" }} as src
