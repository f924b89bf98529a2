"""SQL for clients, users and sessions."""

CLIENT_BY_TOKEN = """
select id, name, kind, regions, requests_per_second from api_clients where token_hash = $1 and revoked_at is null
"""

INSERT_CLIENT = """
insert into api_clients (name, kind, token_hash, token_hint, regions, requests_per_second)
values ($1, $2, $3, $4, $5, $6)
returning id
"""

LIST_CLIENTS = """
select id, name, kind, token_hint, regions, requests_per_second, created_at, revoked_at from api_clients order by id
"""

SET_CLIENT_RATE = "update api_clients set requests_per_second = $2 where id = $1 and revoked_at is null"

REVOKE_CLIENT = "update api_clients set revoked_at = now() where id = $1 and revoked_at is null"

USER_COLUMNS = "u.id, u.username, u.display_name, u.role, u.person_id, u.unit_code, u.region_prefix"

INSERT_USER = """
insert into users (username, display_name, role, person_id, unit_code, region_prefix, password_hash)
values ($1, $2, $3, $4, $5, $6, $7)
returning id
"""

USER_BY_USERNAME = f"""
select {USER_COLUMNS}, u.password_hash from users u where u.username = $1 and u.disabled_at is null
"""

# Professionals may also sign in with their ID number (an index lookup on persons, then users).
USER_BY_NATIONAL_ID = f"""
select {USER_COLUMNS}, u.password_hash from persons p join users u on u.person_id = p.id
where p.national_id = $1::bpchar and u.disabled_at is null
"""

SET_PASSWORD = "update users set password_hash = $2 where username = $1 returning id"

USER_ID_BY_USERNAME = "select id, disabled_at from users where username = $1"
DISABLE_USER = "update users set disabled_at = coalesce(disabled_at, now()) where id = $1"
ENABLE_USER = "update users set disabled_at = null where id = $1"
SET_PASSWORD_BY_ID = "update users set password_hash = $2 where id = $1"
END_SESSIONS = "with ended as (delete from sessions where user_id = $1 returning 1) select count(*) from ended"

USER_BY_SESSION = f"""
select {USER_COLUMNS} from sessions s join users u on u.id = s.user_id
where s.token_hash = $1 and s.expires_at > now() and u.disabled_at is null
"""

INSERT_SESSION = """
insert into sessions (token_hash, user_id, expires_at) values ($1, $2, now() + make_interval(hours => $3))
"""

DELETE_SESSION = "delete from sessions where token_hash = $1"

DELETE_EXPIRED_SESSIONS = "delete from sessions where expires_at <= now()"

PERSON_ID_BY_NATIONAL_ID = "select id from persons where national_id = $1"

REVIEWER_ROLES = "select role, scope from verifier_kinds"

# A new token for the same client: its records, and its idempotency keys, stay its own.
ROTATE_TOKEN = "update api_clients set token_hash = $2, token_hint = $3 where id = $1 and revoked_at is null returning kind"
