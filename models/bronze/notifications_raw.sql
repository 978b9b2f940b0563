{{- /* Lands every file of seeds/notifications/ as-is (one combined seed whose
       _source_file names each line's file), plus the load time. */ -}}
select
  src.*,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "seeds.notifications" }} as src
