{{- /*
Macros of the quarantine pipeline (prefix qg_).

qg_data_carga -> the snapshot's load date as 'YYYY-MM-DD': var data_carga,
default the run's date. gold.quarantine_global builds this day and its
pre-hook empties it first, so both must read the same value.
*/ -}}
{{ define "default__qg_data_carga" }}{{ trunc 10 (toString (var "data_carga" today)) }}{{ end }}
