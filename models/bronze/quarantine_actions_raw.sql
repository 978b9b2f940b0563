{{- /* Lands every file of seeds/quarantine/actions/ as-is (one combined seed,
       _source_file names each row's file), plus the load time. */ -}}
select
  src.*,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "actions" }} as src
