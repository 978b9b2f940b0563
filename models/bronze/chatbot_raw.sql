{{- /* Lands every hour file of seeds/chatbot/ as-is (one combined seed,
       _source_file names each row's file), plus the load time. */ -}}
select
  src.*,
  timestamp '{{ run_started_at }}' as _loaded_at
from {{ ref "chatbot" }} as src
