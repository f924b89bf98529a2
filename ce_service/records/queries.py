"""SQL for records and their events."""

RECORD_COLUMNS = """
r.id, r.person_id, r.year, r.category, r.half_hours, r.course_title, r.completed_on, r.provider,
r.course_code, r.region_earned, r.source, r.status, r.status_reason, r.evidence_ref,
r.created_at, r.updated_at, r.superseded_by,
-- the office a waiting record waits for (route is 1-based, step counts the steps done)
case when r.status in ('submitted', 'unit_approved') then r.route[r.step + 1] end as next_step
"""

# Where the hours were earned defaults to the person's region in that year, fixed when stored.
_REGION_OR_DEFAULT = """coalesce($9, (select pp.region from person_periods pp where pp.person_id = {person}
    and pp.from_year <= $2 order by pp.from_year desc limit 1))"""

# A repeated client_key ($12) inserts nothing; the caller then reads the record made the first time.
INSERT_RECORD = f"""
insert into records as r (person_id, year, category, half_hours, course_title, completed_on, provider,
    course_code, region_earned, evidence_ref, source, status, created_by, client_key)
values ($1, $2, $3, $4, $5, $6, $7, $8, {_REGION_OR_DEFAULT.format(person="$1")}, $10, 'self', 'draft', $11, $12)
on conflict (person_id, client_key) where client_key is not null do nothing
returning {RECORD_COLUMNS}
"""

BY_CLIENT_KEY = f"select {RECORD_COLUMNS} from records r where r.person_id = $1 and r.client_key = $2"

# Locks the row so that two requests on one record are applied one after the other.
OWN_RECORD_FOR_UPDATE = f"select {RECORD_COLUMNS} from records r where r.id = $1 and r.person_id = $2 for update"

OWN_RECORD = f"select {RECORD_COLUMNS} from records r where r.id = $1 and r.person_id = $2"

UPDATE_CONTENT = f"""
update records as r set year = $2, category = $3, half_hours = $4, course_title = $5, completed_on = $6,
    provider = $7, course_code = $8, region_earned = {_REGION_OR_DEFAULT.format(person="r.person_id")},
    evidence_ref = $10, updated_at = now()
where r.id = $1
returning {RECORD_COLUMNS}
"""

SET_STATUS = f"""
update records as r set status = $2, updated_at = now()
where r.id = $1
returning {RECORD_COLUMNS}
"""

# Events are written only by records/transitions.py; each carries the hash of the record row it leaves
# behind (record_row_content, migration 0013), computed here set-based, and the database chains it.
INSERT_EVENT = """
insert into record_events (record_id, at, actor_kind, actor_id, actor_name, role, scope, action,
    from_status, to_status, reason, changes, row_hash)
select $1, now(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, sha256(record_row_content(r))
from records r where r.id = $1
"""

# Many events in one statement, in the order given (ordinality), each at its own instant or now, with the
# row hash the statement that wrote the row returned, or looked up here.
INSERT_EVENTS = """
insert into record_events (record_id, at, actor_kind, actor_id, actor_name, role, scope, action,
    from_status, to_status, reason, row_hash)
select e.record_id, coalesce(e.at, now()), e.actor_kind, e.actor_id, e.actor_name, e.role, e.scope, e.action,
    e.from_status, e.to_status, e.reason,
    coalesce(e.row_hash, (select sha256(record_row_content(r)) from records r where r.id = e.record_id))
from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[], $11::text[], $12::bytea[])
    with ordinality as e (record_id, at, actor_kind, actor_id, actor_name, role, scope, action,
        from_status, to_status, reason, row_hash, n)
order by e.n
"""

EVENTS = """
insert into record_events (record_id, at, actor_kind, actor_id, actor_name, role, scope, action,
    from_status, to_status, reason)
select e.record_id, coalesce(e.at, now()), e.actor_kind, e.actor_id, e.actor_name, e.role, e.scope, e.action,
    e.from_status, e.to_status, e.reason
from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[], $11::text[])
    with ordinality as e (record_id, at, actor_kind, actor_id, actor_name, role, scope, action,
        from_status, to_status, reason, n)
order by e.n
"""

EVENTS = """
select at, action, from_status, to_status, actor_name, role, reason from record_events
where record_id = $1 order by id
"""

# Filters are optional: a null parameter matches everything.
OWN_RECORDS_FILTER = """
r.person_id = $1 and ($2::smallint is null or r.year = $2) and ($3::text is null or r.status = $3)
"""

OWN_RECORDS_COUNT = f"select count(*) from records r where {OWN_RECORDS_FILTER}"

OWN_RECORDS_PAGE = f"""
select {RECORD_COLUMNS} from records r
where {OWN_RECORDS_FILTER}
order by r.year desc, r.completed_on desc, r.created_at desc
limit $4 offset $5
"""

MACHINE_COLUMNS = f"""
{RECORD_COLUMNS}, r.external_id, r.registered_at, r.revoked_at,
(select p.national_id from persons p where p.id = r.person_id) as national_id,
(select pp.region from person_periods pp where pp.person_id = r.person_id and pp.from_year <= r.year
 order by pp.from_year desc limit 1) as person_region
"""

RECORD_BY_ID = f"select {MACHINE_COLUMNS} from records r where r.id = $1"

RECORD_FOR_UPDATE = f"select {MACHINE_COLUMNS} from records r where r.id = $1 for update"

REVOKE = f"""
update records as r set status = 'revoked', status_reason = $2, revoked_at = now(), updated_at = now()
where r.id = $1
returning {MACHINE_COLUMNS}
"""

# The route a record gets when it is submitted: routing_rules, by the person's series, and region and
# affiliation in the record's year.
ROUTE_OF = """
select coalesce(route_for(r.source, p.series, pp.region, pp.affiliation), '{}')
from records r join persons p on p.id = r.person_id
left join lateral (select x.region, x.affiliation from person_periods x
                   where x.person_id = r.person_id and x.from_year <= r.year
                   order by x.from_year desc limit 1) pp on true
where r.id = $1
"""

# Submitting fixes the record's route ($2) and starts it at the first step, in the status
# transitions.submit decided ($3: registered when the route has no steps).
SUBMIT = f"""
update records as r set route = $2, step = 0, status = $3, updated_at = now(), submitted_at = now(),
    registered_at = case when $3 = 'registered' then now() end
where r.id = $1
returning {RECORD_COLUMNS}
"""

# A reviewer passes the step the record waits at; $2 is the status transitions.approve decided.
APPROVE = """
update records set step = step + 1, status = $2, updated_at = now(),
    registered_at = case when $2 = 'registered' then now() end
where id = $1
"""

RETURN = """
update records set status = 'returned', status_reason = $2, step = 0, updated_at = now() where id = $1
"""

# Self-logged records of the same person, year and category as new official records: the candidates
# for one course logged twice. Locked, so a concurrent edit or review waits for the decision.
_SUPERSEDE_PAIR = """
select s.id, s.status, s.course_code, s.completed_on, s.half_hours, s.course_title,
       o.id as official_id, o.course_code as o_course_code, o.completed_on as o_completed_on,
       o.half_hours as o_half_hours, o.course_title as o_course_title, o.provider as o_provider, o.source as o_source
from records o join records s on s.person_id = o.person_id and s.year = o.year and s.category = o.category
"""

# Only a registered official record supersedes; a registered own record is never taken away (the
# pair is flagged instead), so own records in any live status are candidates.
SELF_DUPLICATE_CANDIDATES = _SUPERSEDE_PAIR + """
where o.id = any($1::uuid[]) and o.status = 'registered' and s.source = 'self'
  and s.status in ('draft', 'submitted', 'unit_approved', 'registered', 'returned')
order by s.id, o.id
for update of s
"""

# Registered official records of the same person, year and category as a self-logged one.
OFFICIAL_DUPLICATE_CANDIDATES = _SUPERSEDE_PAIR + """
where s.id = $1 and o.source <> 'self' and o.status = 'registered'
order by o.created_at, o.id
"""

FLAG_DUPLICATE = """
insert into duplicate_flags (record_id, official_id, reason) values ($1, $2, $3)
on conflict (record_id, official_id) do nothing
"""

SUPERSEDE = """
update records set status = 'superseded', superseded_by = $2, status_reason = $3, updated_at = now() where id = $1
"""

# The records an official record superseded, with the status each had before (its supersede event's).
SUPERSEDED_BY = """
select r.id, (select e.from_status from record_events e where e.record_id = r.id and e.action = 'supersede'
              order by e.id desc limit 1) as previous
from records r where r.superseded_by = $1 and r.status = 'superseded'
order by r.id
for update of r
"""

RESTORE = """
update records set status = $2, superseded_by = null, status_reason = null, updated_at = now() where id = $1
"""

# The person's advisory lock (the key intake uses), so a submit and an official arrival cannot miss each other.
LOCK_PERSON = "select pg_advisory_xact_lock(hashtext(national_id)) from persons where id = $1"

# The first year the person has a period: records of earlier years have no rule, level or unit to count for.
FIRST_PERIOD_YEAR = "select min(from_year) from person_periods where person_id = $1"

# Own records in one status, all years, the most recently changed first: what the home lists as needing action.
OWN_IN_STATUS = f"""
select {RECORD_COLUMNS} from records r
where r.person_id = $1 and r.status = $2
order by r.updated_at desc, r.id
limit $3
"""

# The person's other live records with the same completion date and hours ($3, $4): candidates for one course
# logged twice (titles are compared by the service, as superseding compares them).
SAME_DAY_AND_HOURS = """
select r.id, r.source, r.course_title, r.status from records r
where r.person_id = $1 and r.id <> $2 and r.completed_on = $3 and r.half_hours = $4
  and r.status in ('draft', 'submitted', 'unit_approved', 'registered', 'returned')
order by r.created_at, r.id
"""

PERSON_SERIES = "select series from persons where id = $1"
