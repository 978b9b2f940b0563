{{- /*
The CRM's employees, one row per e-mail (lower case; sales name their seller
by e-mail): the row with the latest created_at wins (ties: the greater
employee_id). full_name joins first and last name. Rows without an e-mail are
dropped.
*/ -}}
with typed as (
  select
    {{ clean_text "employee_id" }} as employee_id,
    {{ clean_text "first_name" }} as first_name,
    {{ clean_text "last_name" }} as last_name,
    lower({{ clean_text "email" }}) as email,
    {{ clean_text "job_title" }} as job_title,
    {{ sn_iso_local_date (clean_text "hire_date") }} as hire_date,
    {{ sn_iso_utc (clean_text "created_at") }} as created_at,
    _source_file
  from {{ ref "bronze.employees_raw" }}
),

versioned as (
  select
    typed.*,
    row_number() over (
      partition by email
      order by created_at desc nulls last, {{ collate_c "employee_id" }} desc nulls last
    ) as version
  from typed
  where email is not null
)

select
  employee_id,
  email,
  first_name,
  last_name,
  nullif(concat_ws(' ', first_name, last_name), '') as full_name,
  job_title,
  hire_date,
  created_at,
  _source_file
from versioned
where version = 1
