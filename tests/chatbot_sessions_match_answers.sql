{{- /* Every session with a non-empty answer in silver.chatbot_answers has exactly
       one row in gold.chatbot_sessions with the same first and last answer times,
       and gold has no other session. Returns the sessions that disagree. */ -}}
with expected as (
  select customer, flow, session, min(answered_at) as first_answer_dt, max(answered_at) as last_answer_dt
  from {{ ref "chatbot_answers" }}
  group by customer, flow, session
)

select
  coalesce(e.customer, g.customer) as customer,
  coalesce(e.flow, g.flow) as flow,
  coalesce(e.session, g.session) as session,
  e.first_answer_dt as expected_first,
  g.first_answer_dt as actual_first,
  e.last_answer_dt as expected_last,
  g.last_answer_dt as actual_last
from expected as e
full outer join {{ ref "chatbot_sessions" }} as g
  on g.customer = e.customer and g.flow = e.flow and g.session = e.session
where e.customer is null
   or g.customer is null
   or g.first_answer_dt <> e.first_answer_dt
   or g.last_answer_dt <> e.last_answer_dt
