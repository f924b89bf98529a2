"""SQL for compliance answers: one statement fetches everything the verdict needs for many people.

Master data (name, series, periods) is read as it is now, also for a past `as_of`: people loaded
from an older system carry their history in their periods, not in when they were stored.

Each person comes back as one row with periods, exemptions and records as JSON text, decoded by
msgspec. At the current instant a record's status column is all we need; for a past instant the
record's events up to that instant are fetched instead.
"""

_PERSON_PARTS = """
p.id, p.national_id, p.name, p.series,
coalesce((select json_agg(json_build_array(pp.from_year, pp.level, pp.workplace, pp.region) order by pp.from_year)
          from person_periods pp where pp.person_id = p.id), '[]')::text as periods,
coalesce((select json_agg(json_build_array(x.from_year, x.to_year, x.reason, x.note, x.created_at) order by x.id)
          from exemptions x where x.person_id = p.id and x.from_year <= $3 and x.to_year >= $2), '[]')::text as exemptions,
coalesce((select json_agg(json_build_array(i.entry_date, i.bars_declaration, i.at))
          from integrity_entries i where i.person_id = p.id), '[]')::text as integrity,
"""

# A course from a platform or provider counts once per person, and a platform's pass counts the
# rule's test credit: such records come one by one (the rest are summed), with "client:course code"
# (normalised by the service), and also from the years before the question (an earlier pass makes
# a later one a repeat).
_ONE_BY_ONE = "(r.source = 'platform' or (r.source = 'provider' and r.course_code is not null))"
_COURSE_KEY = "coalesce(r.source_client_id::text, r.source) || ':' || r.course_code"

# Records whose status now may count, registered (counted) or waiting for a decision (pending).
_RECORDS_NOW = f"""
coalesce((select json_agg(json_build_array(s.year, s.category, s.half_hours, s.region_earned, s.status, s.source,
                                           s.course_key, s.completed_on))
          from (select r.year, r.category, sum(r.half_hours)::int as half_hours, r.region_earned, r.status,
                       r.source, null::text as course_key, null::date as completed_on
                from records r where r.person_id = p.id and r.year between $2 and $3
                and r.status in ('registered', 'submitted', 'unit_approved') and not {_ONE_BY_ONE}
                group by r.year, r.category, r.region_earned, r.status, r.source
                union all
                select r.year, r.category, r.half_hours, r.region_earned, r.status, r.source, {_COURSE_KEY},
                       r.completed_on
                from records r where r.person_id = p.id and r.year <= $3
                and r.status in ('registered', 'submitted', 'unit_approved') and {_ONE_BY_ONE}) s), '[]')::text as records
"""

# Every record of those years (and one-by-one ones of earlier years) with its events up to the instant $4.
_RECORDS_AS_OF = f"""
coalesce((select json_agg(json_build_array(r.year, r.category, r.half_hours, r.region_earned,
              (select json_agg(json_build_array(e.at, e.to_status) order by e.id)
               from record_events e where e.record_id = r.id and e.at <= $4),
              r.source, case when {_ONE_BY_ONE} then {_COURSE_KEY} end, r.completed_on))
          from records r where r.person_id = p.id and r.year <= $3 and (r.year >= $2 or {_ONE_BY_ONE})
          and r.created_at <= $4), '[]')::text as records
"""

# One person by `= $1` and many by `= any($1)`: with `any` PostgreSQL keeps planning the statement
# anew at every execution (it cannot tell a one-element array from a large one), and that planning
# costs several times the query itself; with `=` it settles on one generic plan.
PERSON_NOW = f"select {_PERSON_PARTS} {_RECORDS_NOW} from persons p where p.national_id = $1::bpchar"
PERSON_AS_OF = f"select {_PERSON_PARTS} {_RECORDS_AS_OF} from persons p where p.national_id = $1::bpchar"
PEOPLE_NOW = f"select {_PERSON_PARTS} {_RECORDS_NOW} from persons p where p.national_id = any($1::bpchar[])"
PEOPLE_AS_OF = f"select {_PERSON_PARTS} {_RECORDS_AS_OF} from persons p where p.national_id = any($1::bpchar[])"

KEYS = "select kid, algorithm, public_key, first_used_at from signing_keys order by first_used_at"

REGISTER_KEY = "insert into signing_keys (kid, public_key) values ($1, $2) on conflict (kid) do nothing"

NATIONAL_ID_OF_PERSON = "select national_id from persons where id = $1"
