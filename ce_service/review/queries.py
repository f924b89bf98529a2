"""SQL for reviewers: queues, the record under decision, the decisions, the registration form."""

VERIFIER_KIND = "select code, scope, series_only, series_excluded, affiliation from verifier_kinds where role = $1"

# A record with what decides who may see it: the person's unit (or agency) and region in the record's year.
_REVIEW_COLUMNS = """
r.id, r.year, r.category, r.half_hours, r.course_title, r.course_code, r.completed_on, r.provider,
r.region_earned, r.source, r.status, r.status_reason, r.route, r.step, r.submitted_at, r.registered_at,
r.evidence_ref, r.created_at, p.id as person_id, p.national_id, p.name, p.series, pp.unit_code, pp.region,
pp.affiliation, u.name as unit_name
"""

_REVIEW_FROM = """
records r join persons p on p.id = r.person_id
left join lateral (select x.unit_code, x.region, x.affiliation from person_periods x
                   where x.person_id = r.person_id and x.from_year <= r.year
                   order by x.from_year desc limit 1) pp on true
left join units u on u.credit_code = pp.unit_code
"""

# $2 unit code or $3 region prefix: the reviewer's scope (one of them is null). A unit-scoped kind
# ($1) answers only for periods of its affiliation: a unit for its staff, an agency for its clients.
_IN_SCOPE = """
(($2::text is not null and pp.unit_code = $2::bpchar
  and pp.affiliation = coalesce((select k.affiliation from verifier_kinds k where k.code = $1), pp.affiliation))
 or ($3::text is not null and pp.region like $3 || '%'))
"""

# $8 a part of the name (the search box). It only narrows the queue: the scope above still applies. The waiting
# records of a scope are few enough to filter by name (records_waiting drives the plan); an ID number ($6) is
# found by persons' unique index instead.
_QUEUE_FILTER = f"""
r.status in ('submitted', 'unit_approved') and r.route[r.step + 1] = $1 and {_IN_SCOPE}
and ($4::smallint is null or r.year = $4) and ($5::text is null or r.source = $5)
and ($6::text is null or p.national_id = $6::bpchar) and ($7::text is null or r.status = $7)
and ($8::text is null or strpos(p.name, $8) > 0)
"""

# Oldest first: whoever has waited longest is served first (a record never submitted, last).
_QUEUE_ORDER = "coalesce(r.submitted_at, 'infinity'::timestamptz), r.created_at, r.id"

QUEUE_COUNT = f"select count(*) from {_REVIEW_FROM} where {_QUEUE_FILTER}"

QUEUE_PAGE = f"""
select {_REVIEW_COLUMNS} from {_REVIEW_FROM} where {_QUEUE_FILTER}
order by {_QUEUE_ORDER}
limit $9 offset $10
"""

# The record after $9 in the queue's order (the next one to decide once $9 is decided).
QUEUE_NEXT = f"""
select r.id from {_REVIEW_FROM} where {_QUEUE_FILTER}
and r.id <> $9::uuid
and ({_QUEUE_ORDER}) > (select coalesce(x.submitted_at, 'infinity'::timestamptz), x.created_at, x.id
                        from records x where x.id = $9::uuid)
order by {_QUEUE_ORDER}
limit 1
"""

# The first record of the queue other than $9 (after the last one, the queue starts again from its top).
QUEUE_FIRST = f"""
select r.id from {_REVIEW_FROM} where {_QUEUE_FILTER} and r.id <> $9::uuid
order by {_QUEUE_ORDER}
limit 1
"""

RECORD = f"select {_REVIEW_COLUMNS} from {_REVIEW_FROM} where r.id = $1"

RECORD_FOR_UPDATE = f"select {_REVIEW_COLUMNS} from {_REVIEW_FROM} where r.id = $1 for update of r"

LAST_DECISION = """
select actor_name, at, action from record_events where record_id = $1 order by id desc limit 1
"""

EVENTS = """
select at, action, from_status, to_status, actor_name, role, scope, reason from record_events
where record_id = $1 order by id
"""

# The person as the form shows them in `year`: their period, unit name and series name.
FORM_PERSON = """
select p.id, p.national_id, p.name, p.series, s.name_zh as series_zh, pp.level, pp.unit_code,
    pp.region, pp.affiliation, u.name as unit_name
from persons p join series s on s.code = p.series
left join lateral (select x.level, x.unit_code, x.region, x.affiliation from person_periods x
                   where x.person_id = p.id and x.from_year <= $2 order by x.from_year desc limit 1) pp on true
left join units u on u.credit_code = pp.unit_code
where p.national_id = $1::bpchar
"""

FORM_RECORDS = """
select id, course_title, provider, completed_on, half_hours, category, source, status,
    case when status in ('submitted', 'unit_approved') then route[step + 1] end as next_step
from records
where person_id = $1 and year = $2 and status in ('submitted', 'unit_approved', 'registered')
order by completed_on, created_at
"""

FORM_DECISIONS = """
select r.course_title, e.action, e.actor_name, e.role, e.at
from record_events e join records r on r.id = e.record_id
where r.person_id = $1 and r.year = $2 and e.action in ('approve', 'register', 'return', 'revoke')
order by e.at, e.id
"""

OWN_NATIONAL_ID = "select national_id from persons where id = $1"

ROUTING_RULES = """
select source, series, affiliation, region_prefix, steps, note from routing_rules
order by source, series nulls first, affiliation nulls first, length(region_prefix), region_prefix
"""

SERIES_EXISTS = "select exists (select 1 from series where code = $1)"

VERIFIER_KINDS = "select code from verifier_kinds"

UPSERT_ROUTING_RULE = """
insert into routing_rules (source, series, region_prefix, steps, note, affiliation) values ($1, $2, $3, $4, $5, $6)
on conflict (source, coalesce(series, ''), coalesce(affiliation, ''), region_prefix)
do update set steps = excluded.steps, note = excluded.note
"""

# Duplicate flags whose person (in the own record's year) is in a department reviewer's region and
# series: $1 verifier kind, $2 region prefix, $3 open only.
_FLAGS_FILTER = """
from duplicate_flags f
join records r on r.id = f.record_id
join persons p on p.id = r.person_id
join verifier_kinds k on k.code = $1
left join lateral (select x.region from person_periods x where x.person_id = r.person_id and x.from_year <= r.year
                   order by x.from_year desc limit 1) pp on true
where pp.region like $2 || '%' and (k.series_only is null or p.series = k.series_only)
  and not (p.series = any(k.series_excluded)) and (not $3 or f.closed_at is null)
"""

FLAGS_COUNT = f"select count(*) {_FLAGS_FILTER}"

FLAGS_PAGE = f"""
select f.id, f.record_id, f.official_id, f.reason, f.created_at, f.closed_at, f.closed_by {_FLAGS_FILTER}
order by f.created_at, f.id
limit $4 offset $5
"""

FLAG = "select id, record_id, official_id, reason, created_at, closed_at, closed_by from duplicate_flags where id = $1"

FLAG_FOR_UPDATE = FLAG + " for update"

CLOSE_FLAG = "update duplicate_flags set closed_at = now(), closed_by = $2 where id = $1"
