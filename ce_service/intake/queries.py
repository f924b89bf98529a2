"""SQL for record batches: everything set-based, one statement per step for the whole batch."""

# Each person's id, name, series, and their periods' start years, regions and affiliations (in
# order): the region of the latest period decides client scopes, the period of a record's year its route.
PEOPLE = """
select p.national_id, p.id, p.name, p.series,
       array(select pp.from_year from person_periods pp where pp.person_id = p.id order by pp.from_year) as years,
       array(select pp.region::text from person_periods pp where pp.person_id = p.id order by pp.from_year) as regions,
       array(select pp.affiliation from person_periods pp where pp.person_id = p.id order by pp.from_year)
           as affiliations
from persons p where p.national_id = any($1::bpchar[])
"""

# The steps for each (series, region, affiliation) of a batch: route_for once per triple, not once per record.
ROUTES = """
select x.series, x.region, x.affiliation, coalesce(route_for($1, x.series, x.region, x.affiliation), '{}') as route
from unnest($2::text[], $3::text[], $4::text[]) as x (series, region, affiliation)
"""

# region_earned defaults to the person's region in the record's year ($14), fixed at arrival so that
# a later change of the person's periods does not move hours already earned. The route ($15, steps
# joined by commas) comes from routing_rules; the status ($16) is what records/transitions.py decides
# for it: no steps means registered on arrival, otherwise waiting for the first. The unique index on (source_client_id, external_id) makes a resend, even a
# concurrent one, unable to create a second record: the losing insert does nothing and we look the
# winner up.
INSERT_RECORDS = """
insert into records (person_id, year, category, half_hours, course_title, course_code, completed_on,
    region_earned, provider, source, source_client_id, external_id, content_hash, route, step, status,
    submitted_at, registered_at)
select r.person_id, r.year, r.category, r.half_hours, r.course_title, r.course_code, r.completed_on,
    coalesce(r.region_earned, r.person_region), $11, $12, $13, r.external_id, r.content_hash,
    string_to_array(r.route, ','), 0, r.status,
    now(), case when r.status = 'registered' then now() end
from unnest($1::bigint[], $2::smallint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::date[], $8::text[],
            $9::text[], $10::bytea[], $14::text[], $15::text[], $16::text[])
    as r (person_id, year, category, half_hours, course_title, course_code, completed_on, region_earned,
          external_id, content_hash, person_region, route, status)
order by r.external_id  -- one lock order for every batch, so overlapping batches cannot deadlock
on conflict (source_client_id, external_id) where external_id is not null do nothing
returning id, external_id, status, sha256(record_row_content(records)) as row_hash
"""

EXISTING = """
select id, external_id, content_hash from records
where source_client_id = $1 and external_id = any($2::text[])
"""

INSERT_HELD = """
insert into held_records (national_id, source, source_client_id, external_id, content_hash, payload, reason)
select h.national_id, $5, $6, h.external_id, h.content_hash, h.payload::jsonb, $7
from unnest($1::text[], $2::text[], $3::bytea[], $4::text[])
    as h (national_id, external_id, content_hash, payload)
order by h.external_id
on conflict (source_client_id, external_id) where external_id is not null do nothing
returning external_id
"""

EXISTING_HELD = """
select external_id, content_hash from held_records where source_client_id = $1 and external_id = any($2::text[])
"""

# One transaction-scoped advisory lock per person, in the order given (callers sort).
LOCK_PEOPLE = "select pg_advisory_xact_lock(hashtext(n)) from unnest($1::text[]) as n"

HELD_WAITING = """
select h.id, h.source, h.source_client_id, h.external_id, h.content_hash, h.payload,
       c.name as client_name, c.kind as client_kind, c.regions as client_regions, c.revoked_at as client_revoked_at
from held_records h join api_clients c on c.id = h.source_client_id
where h.national_id = $1::bpchar and h.attached_at is null
order by h.id
for update of h
"""

HELD_ATTACHED = "update held_records set attached_record_id = $2, attached_at = now() where id = $1"

HELD_REASON = "update held_records set reason = $2 where id = $1"

# Everything a client sent, stored or held, in external_id order (keyset pagination).
SENT_BY = """
select * from (
    select r.external_id, r.status, r.id::text as record_id, r.status_reason as reason, r.created_at as received_at
    from records r where r.source_client_id = $1 and r.external_id is not null
    union all
    select h.external_id, 'held', null, h.reason, h.received_at
    from held_records h where h.source_client_id = $1 and h.attached_at is null
) sent
where ($2::text is null or external_id = $2) and ($3::text is null or external_id > $3)
order by external_id
limit $4
"""
