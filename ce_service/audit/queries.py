"""SQL for the audit trail: the chain, its head, the rows it covers, and the signed checkpoints."""

_UTC = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""

# The bytes each hash covers, written out here with built-in functions only, as migration 0013's
# record_event_content() and record_row_content() define them: verification never calls those
# functions, which the tables' owner could replace to make an edited history hash as before.
EVENT_CONTENT = f"""
case when e.row_hash is null then convert_to(array_to_string(array[
    e.chain_seq::text, e.record_id::text, to_char(e.at at time zone 'UTC', {_UTC}), e.actor_kind,
    e.actor_id::text, e.actor_name, e.role, e.scope, e.action, e.from_status, e.to_status, e.reason, e.changes::text
], chr(31), chr(30)), 'UTF8')
else convert_to(jsonb_build_array(
    e.chain_seq, e.record_id::text, to_char(e.at at time zone 'UTC', {_UTC}), e.actor_kind, e.actor_id,
    e.actor_name, e.role, e.scope, e.action, e.from_status, e.to_status, e.reason, e.changes,
    encode(e.row_hash, 'hex'))::text, 'UTF8') end
"""

ROW_CONTENT = f"""
convert_to(jsonb_build_array(
    r.id::text, r.person_id, r.year, r.category, r.half_hours, r.course_title, r.course_code, r.provider,
    to_char(r.completed_on, 'YYYY-MM-DD'), r.region_earned::text, r.source, r.source_client_id, r.external_id,
    r.status, r.status_reason, r.evidence_ref, r.created_by, r.superseded_by::text, to_jsonb(r.route), r.step,
    to_char(r.created_at at time zone 'UTC', {_UTC}), to_char(r.submitted_at at time zone 'UTC', {_UTC}),
    to_char(r.registered_at at time zone 'UTC', {_UTC}), to_char(r.revoked_at at time zone 'UTC', {_UTC})
)::text, 'UTF8')
"""

CHAIN_PAGE = f"""
select e.id, e.record_id, e.chain_seq, e.prev_hash, e.hash, sha256(e.prev_hash || {EVENT_CONTENT}) as recomputed
from record_events e where e.chain_seq > $1 order by e.chain_seq limit $2
"""

CHAIN_HEAD = "select seq, hash from event_chain_head"

# Records whose row no longer hashes to what their last event says it left behind (edited without
# an event), whose status is not the one their last event moved them to, or that have no event.
_LAST_EVENT = """
from records r
left join lateral (select x.chain_seq, x.row_hash, x.to_status from record_events x where x.record_id = r.id
                   order by x.chain_seq desc limit 1) e on true
"""

_MISMATCH = f"(e.row_hash is distinct from sha256({ROW_CONTENT}) or e.to_status is distinct from r.status)"

ROW_MISMATCHES = f"""
select r.id, e.chain_seq, e.row_hash is null as unsealed {_LAST_EVENT}
where {_MISMATCH}
order by r.id
limit $1
"""

ROW_MISMATCH_COUNT = f"select count(*) {_LAST_EVENT} where {_MISMATCH}"

# The triggers the trail relies on, and whether each is enabled ('O': always, as the service runs).
TRIGGERS = """
select c.relname as table_name, t.tgname, t.tgenabled::text as tgenabled
from pg_trigger t join pg_class c on c.oid = t.tgrelid
where not t.tgisinternal and t.tgname = any($1::text[])
"""

CHECKPOINTS = "select seq, hash, at, kid, signature from audit_checkpoints order by seq, id"

# The checkpoints a review system copies: newest last, from a sequence number on.
CHECKPOINTS_PAGE = """
select seq, hash, at, kid, signature from audit_checkpoints where seq > $1 order by seq, id limit $2
"""

# The key's own checkpoints up to the head, newest first (the signatures are checked in Python).
OWN_CHECKPOINTS = """
select seq, hash, at, kid, signature from audit_checkpoints where kid = $1 and seq <= $2
order by seq desc, id desc limit 20
"""

INSERT_CHECKPOINT = """
insert into audit_checkpoints (seq, hash, at, kid, signature) values ($1, $2, $3, $4, $5)
"""
