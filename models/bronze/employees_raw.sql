{{- /* Lands seeds/employees.csv (the CRM's employees) as-is, plus the source file and the load time. */ -}}
select
  src.*,
  'seeds/employees.csv' as _source_file,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "seeds.employees" }} as src
