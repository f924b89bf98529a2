"""SQL for imports: the uploaded file, its progress, and one result per row."""

# One importer client per scope (found or made): its records are told apart by their external_id.
IMPORTER_CLIENT = """
with made as (
    insert into api_clients (name, kind, token_hash, token_hint, regions)
    values ($1, 'importer', $2, 'import', $3)
    on conflict (name) where kind = 'importer' do nothing
    returning id, name, regions
)
select id, name, regions from made
union all
select id, name, regions from api_clients where kind = 'importer' and name = $1
limit 1
"""

INSERT_IMPORT = """
insert into imports (kind, filename, format, content, uploaded_by, uploader_name, client_id, unit_code)
values ($1, $2, $3, $4, $5, $6, $7, $8) returning id
"""

_STATUS = """
i.id, i.kind, i.filename, i.format, i.uploader_name, i.status, i.rows_total, i.rows_done, i.accepted,
i.duplicates, i.held, i.rejected, i.error, i.created_at, i.started_at, i.finished_at, i.uploaded_by, i.unit_code
"""

STATUS = f"select {_STATUS} from imports i where i.id = $1"

# Imports not finished a while after they were uploaded (their job may have been lost with Redis);
# after a week, one that still fails is left for an operator rather than tried again for ever.
UNFINISHED = """
select id from imports where status in ('queued', 'running') and created_at < now() - make_interval(secs => $1)
and created_at > now() - interval '7 days'
order by created_at
"""

# Newest first; $1 null: everyone's (administrators).
LIST = f"""
select {_STATUS} from imports i where ($1::bigint is null or i.uploaded_by = $1)
order by i.created_at desc, i.id limit $2 offset $3
"""

# A run takes the import (queued, or running but abandoned by a dead worker) and locks it for itself.
FOR_RUN = """
select i.id, i.kind, i.content, i.rows_done, i.status, i.unit_code, i.uploader_name,
       c.id as client_id, c.name as client_name, c.regions as client_regions,
       -- whose people a unit-scoped uploader answers for: its kind's affiliation (unit, agency, industry)
       (select coalesce(k.affiliation, 'unit') from users u join verifier_kinds k on k.role = u.role
        where u.id = i.uploaded_by) as affiliation
from imports i join api_clients c on c.id = i.client_id
where i.id = $1 and i.status in ('queued', 'running')
"""

TRY_LOCK = "select pg_try_advisory_lock(1768776815, hashtext($1::text))"
UNLOCK = "select pg_advisory_unlock(1768776815, hashtext($1::text))"

STARTED = """
update imports set status = 'running', rows_total = $2, started_at = coalesce(started_at, now()) where id = $1
"""

INSERT_ROWS = """
insert into import_rows (import_id, line, key, status, record_id, errors)
select $1, r.line, r.key, r.status, r.record_id, r.errors::jsonb
from unnest($2::int[], $3::text[], $4::text[], $5::uuid[], $6::text[]) as r (line, key, status, record_id, errors)
on conflict (import_id, line) do nothing
"""

# Progress moves in the transaction that stores the chunk, so a resumed run starts where it stopped.
PROGRESS = """
update imports set rows_done = $2, accepted = accepted + $3, duplicates = duplicates + $4, held = held + $5,
    rejected = rejected + $6
where id = $1 and rows_done = $7
returning id
"""

FINISHED = "update imports set status = 'done', finished_at = now() where id = $1"

FAILED = "update imports set status = 'failed', error = $2, finished_at = now() where id = $1"

REPORT = """
select line, key, status, record_id::text as record_id, errors::text as errors from import_rows
where import_id = $1 and ($2::text is null or status = $2) order by line
"""

# The person's current unit, for a unit's import of records.
CURRENT_UNITS = """
select p.national_id, pp.unit_code as unit, pp.affiliation
from persons p
left join lateral (select x.unit_code, x.affiliation from person_periods x where x.person_id = p.id
                   order by x.from_year desc limit 1) pp on true
where p.national_id = any($1::bpchar[])
"""
