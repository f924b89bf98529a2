"""SQL for the integrity file: entries of a person, and the units whose approvals were revoked."""

INSERT_ENTRY = """
insert into integrity_entries (person_id, kind, reason, entry_date, document, bars_declaration, record_id,
    actor_kind, actor_id, actor)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
returning id
"""

# The person with what decides who may see them: their series and their latest period (unit, region,
# and whatever else the reviewers' scope check reads, hence every column of the period).
PERSON = """
select p.id, p.national_id, p.series, pp.*
from persons p
left join lateral (select x.* from person_periods x where x.person_id = p.id
                   order by x.from_year desc limit 1) pp on true
where p.national_id = $1::bpchar
"""

_ENTRY_COLUMNS = """
e.id, p.national_id, e.kind, e.reason, e.entry_date, e.document, e.bars_declaration, e.record_id::text as record_id,
e.at, e.actor
"""

ENTRY = f"select {_ENTRY_COLUMNS} from integrity_entries e join persons p on p.id = e.person_id where e.id = $1"

ENTRIES = f"""
select {_ENTRY_COLUMNS} from integrity_entries e join persons p on p.id = e.person_id
where e.person_id = $1
order by e.entry_date desc, e.id desc
"""

REVOCATION_EXISTS = "select exists (select 1 from record_events where id = $1 and action = 'revoke')"

# One row per revoked record that a unit had approved: the unit, the reviewer of its last approval
# before the revocation, and the revocation. Scope: $1 region prefixes (null: every region), $2 only
# this series, $3 not these series (the person's region and series in the record's year). Newest
# revocation first; $4 the revocation event to page after; $5 the page size.
REVOKED_UNIT_APPROVALS = """
select rv.id as cursor, rv.at as revoked_at, rv.reason, r.id::text as record_id, ap.scope as unit_code,
    u.name as unit_name, ap.actor_name, ap.at as approved_at
from record_events rv
join records r on r.id = rv.record_id
join persons p on p.id = r.person_id
join lateral (select e.actor_name, e.scope, e.at from record_events e
              join verifier_kinds vk on vk.role = e.role and vk.scope = 'unit'
              where e.record_id = rv.record_id and e.id < rv.id and e.action in ('approve', 'register')
              order by e.id desc limit 1) ap on true
left join lateral (select x.region from person_periods x where x.person_id = r.person_id and x.from_year <= r.year
                   order by x.from_year desc limit 1) pp on true
left join units u on u.credit_code = ap.scope::bpchar
where rv.action = 'revoke'
  and ($1::text[] is null or exists (select 1 from unnest($1::text[]) prefix where pp.region like prefix || '%'))
  and ($2::text is null or p.series = $2) and not (p.series = any ($3::text[]))
  and ($4::bigint is null or (rv.at, rv.id) < (select c.at, c.id from record_events c where c.id = $4))
order by rv.at desc, rv.id desc
limit $5
"""
