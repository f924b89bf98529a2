"""SQL for the training platforms: their settings, cursors, counters and set-aside results."""

INSERT_CLIENT = """
insert into api_clients (name, kind, token_hash, token_hint, regions)
values ($1, 'platform', $2, 'platform', $3) returning id
"""

INSERT_PLATFORM = """
insert into platforms (name, base_url, token, region, interval_seconds, client_id, display_name)
values ($1, $2, $3, $4, $5, $6, $7) returning id
"""

UPDATE_PLATFORM = """
update platforms set base_url = coalesce($2, base_url), token = coalesce($3, token),
    interval_seconds = coalesce($4, interval_seconds), enabled = coalesce($5, enabled),
    display_name = coalesce($6, display_name)
where name = $1 returning id
"""

_STATUS_COLUMNS = """
p.id, p.name, p.display_name, p.base_url, p.region, p.interval_seconds, p.enabled, p.cursor, p.last_attempt_at,
p.last_success_at, p.last_error, p.last_error_kind, p.last_error_tries, p.last_error_at, p.pages_stored, p.items_stored, p.items_duplicate,
p.items_held, p.items_set_aside,
coalesce((select json_object_agg(reason, n) from (
    select split_part(reason, ':', 1) as reason, count(*) as n from platform_set_aside s
    where s.platform_id = p.id group by 1) r), '{}')::text as set_aside_by_reason
"""

LIST = f"select {_STATUS_COLUMNS} from platforms p order by p.name"

ONE = f"select {_STATUS_COLUMNS} from platforms p where p.name = $1"

# What a pull needs: the settings, the token and the client its records are registered by.
FOR_PULL = """
select p.id, p.name, p.base_url, p.token, p.region, p.enabled, p.cursor,
       c.id as client_id, c.name as client_name, c.regions as client_regions
from platforms p join api_clients c on c.id = p.client_id where p.name = $1
"""

# Session-level, so it spans the page transactions; released by the run or by the connection's end.
TRY_LOCK = "select pg_try_advisory_lock(1885433198, $1::int)"
UNLOCK = "select pg_advisory_unlock(1885433198, $1::int)"

ATTEMPTED = "update platforms set last_attempt_at = now() where id = $1"

INSERT_SET_ASIDE = """
insert into platform_set_aside (platform_id, result_id, reason, payload)
select $1, s.result_id, s.reason, s.payload::jsonb
from unnest($2::text[], $3::text[], $4::text[]) as s (result_id, reason, payload)
on conflict (platform_id, result_id) do nothing
returning result_id
"""

# The page is stored: move the cursor (a null next cursor keeps the last one, to ask again later).
# Last in the page's transaction, and only from the cursor the page was fetched with ($7).
PAGE_STORED = """
update platforms set cursor = coalesce($2, cursor), pages_stored = pages_stored + 1,
    items_stored = items_stored + $3, items_duplicate = items_duplicate + $4, items_held = items_held + $5,
    items_set_aside = items_set_aside + $6,
    last_success_at = case when $2::text is null then now() else last_success_at end,
    last_error = case when $2::text is null then null else last_error end,
    last_error_kind = case when $2::text is null then null else last_error_kind end,
    last_error_tries = case when $2::text is null then null else last_error_tries end
where id = $1 and cursor is not distinct from $7
returning id
"""

FAILED = """
update platforms set last_error = $2, last_error_kind = $3, last_error_tries = $4, last_error_at = now() where id = $1
"""

DUE = """
select name from platforms
where enabled and (last_attempt_at is null or last_attempt_at <= now() - make_interval(secs => interval_seconds))
order by name
"""

SET_ASIDE_PAGE = """
select s.id, s.result_id, s.reason, s.payload::text as payload, s.at from platform_set_aside s
join platforms p on p.id = s.platform_id
where p.name = $1 and ($2::bigint is null or s.id > $2)
order by s.id limit $3
"""
