-- A trail an insider cannot quietly rewrite: every event carries the hash of the record row it
-- leaves behind (so a records row edited without an event no longer matches its last event), the
-- chain head is signed at checkpoints kept outside the database too, and the tables that hold keys,
-- checkpoints and the head only ever grow.

-- The exact bytes a record row's hash covers: every field that decides what counts, what is shown
-- and what an answer as of a past instant reads, as a JSON array (jsonb's canonical text, so no
-- field can run into the next), instants as UTC text with microseconds. updated_at, content_hash
-- and client_key are bookkeeping and left out. `ce-service audit verify` recomputes the same
-- expression inline (ce_service/audit/queries.py), never through this function.
create function record_row_content(r records) returns bytea language sql stable as $$
    select convert_to(jsonb_build_array(
        r.id::text, r.person_id, r.year, r.category, r.half_hours, r.course_title, r.course_code, r.provider,
        to_char(r.completed_on, 'YYYY-MM-DD'), r.region_earned::text, r.source, r.source_client_id, r.external_id,
        r.status, r.status_reason, r.evidence_ref, r.created_by, r.superseded_by::text, to_jsonb(r.route), r.step,
        to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(r.submitted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(r.registered_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(r.revoked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    )::text, 'UTF8')
$$;

alter table record_events add column row_hash bytea;

-- Events written from here on carry a row hash, and their content is a JSON array (no field can
-- run into the next); the events written before this migration hash exactly as they did.
create or replace function record_event_content(e record_events) returns bytea language sql stable as $$
    select case when e.row_hash is null then convert_to(array_to_string(array[
        e.chain_seq::text, e.record_id::text,
        to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_kind, e.actor_id::text,
        e.actor_name, e.role, e.scope, e.action, e.from_status, e.to_status, e.reason, e.changes::text
    ], E'\x1f', E'\x1e'), 'UTF8')
    else convert_to(jsonb_build_array(
        e.chain_seq, e.record_id::text, to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor_kind, e.actor_id, e.actor_name, e.role, e.scope, e.action, e.from_status, e.to_status, e.reason,
        e.changes, encode(e.row_hash, 'hex')
    )::text, 'UTF8') end
$$;

-- The row hash is the row as this transaction sees it when the event is written; an insert that does
-- not give it gets it from the trigger. The functions run as their owner: the
-- service's role may read the head but not write it.
create or replace function chain_record_event() returns trigger language plpgsql
security definer set search_path = public, pg_temp
-- Its lookups are by unique index; a plan cached while the tables were small must not turn them into
-- scans of a table that has grown since (it did: intake fell to a quarter in a benchmark).
set enable_seqscan = off as $$
declare
    running text := current_setting('ce.chain_head', true);
    seq bigint;
    prev bytea;
begin
    -- Only the tables' owner may write history with instants of the past (the demo, a restore);
    -- the service's events are dated by the database.
    if new.at is distinct from now()
       and not pg_has_role(session_user, (select relowner from pg_class where oid = 'record_events'::regclass), 'MEMBER') then
        new.at := now();
    end if;
    -- The service's statements hash the rows set-based as they write the events (a lookup per row here
    -- costs more than the rest of the event); any other insert gets it here. Either way `audit verify`
    -- checks every row against its last event, so a wrong hash shows rather than hides.
    if new.row_hash is null then
        select sha256(record_row_content(r)) into new.row_hash from records r where r.id = new.record_id;
    end if;
    if running is null or running = '' then
        -- First row of the statement: the row lock makes concurrent writers chain one after the other.
        select h.seq, h.hash into seq, prev from event_chain_head h where only_row for update;
    else
        seq := split_part(running, ':', 1)::bigint;
        prev := decode(split_part(running, ':', 2), 'hex');
        -- The running head lives in a setting any session can write: it must name the event this
        -- statement wrote last (a stale or made-up value would fork or break the chain).
        if not exists (select 1 from record_events x where x.chain_seq = seq and x.hash = prev) then
            raise exception 'the running chain head % is not the last event written', running;
        end if;
    end if;
    new.chain_seq := seq + 1;
    new.prev_hash := prev;
    new.hash := sha256(prev || record_event_content(new));
    perform set_config('ce.chain_head', new.chain_seq::text || ':' || encode(new.hash, 'hex'), true);
    return new;
end $$;

create or replace function write_event_chain_head() returns trigger language plpgsql
security definer set search_path = public, pg_temp as $$
declare
    running text := current_setting('ce.chain_head', true);
begin
    if running is not null and running <> '' then
        update event_chain_head set seq = split_part(running, ':', 1)::bigint,
            hash = decode(split_part(running, ':', 2), 'hex') where only_row;
        perform set_config('ce.chain_head', '', true);
    end if;
    return null;
end $$;

-- The head only moves forward, and only from inside the chain's own trigger.
create function guard_event_chain_head() returns trigger language plpgsql set enable_seqscan = off as $$
begin
    if tg_op <> 'UPDATE' then
        raise exception 'event_chain_head: % refused (the chain head only moves forward)', tg_op;
    end if;
    if pg_trigger_depth() < 2 or new.seq <= old.seq then
        raise exception 'event_chain_head is moved only by writing record events';
    end if;
    -- Forward, and only to an event that is there with that hash.
    if not exists (select 1 from record_events x where x.chain_seq = new.seq and x.hash = new.hash) then
        raise exception 'event_chain_head may point only at an event written (seq %)', new.seq;
    end if;
    return new;
end $$;

create trigger event_chain_head_forward_only before update or delete on event_chain_head
    for each row execute function guard_event_chain_head();
create trigger event_chain_head_no_truncate before truncate on event_chain_head
    for each statement execute function guard_event_chain_head();

create function refuse_table_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % refused', tg_table_name, tg_op;
end $$;

-- What no transition changes stays as the record was made: who it is for, where it came from, when.
create function guard_record_identity() returns trigger language plpgsql as $$
begin
    if new.id <> old.id or new.person_id <> old.person_id or new.source <> old.source
       or new.created_at <> old.created_at or new.created_by is distinct from old.created_by
       or new.source_client_id is distinct from old.source_client_id
       or new.external_id is distinct from old.external_id then
        raise exception 'records: id, person, source, sender and creation are fixed once written';
    end if;
    return new;
end $$;

create trigger records_identity_fixed before update on records
    for each row execute function guard_record_identity();

-- Keys that ever signed stay listed as they were: a key is added, never changed or removed.
create trigger signing_keys_append_only
    before update or delete or truncate on signing_keys
    for each statement execute function refuse_table_change();

-- Signed checkpoints of the chain head: `seq` events hash to `hash`; `signature` is Ed25519 by key
-- `kid` over the canonical bytes (see ce_service/audit/checkpoints.py).
create table audit_checkpoints (
    id          bigint generated always as identity primary key,
    seq         bigint not null,
    hash        bytea not null,
    at          timestamptz not null,
    kid         text not null references signing_keys (kid),
    signature   bytea not null
);
create index audit_checkpoints_seq on audit_checkpoints (seq);

create trigger audit_checkpoints_append_only
    before update or delete or truncate on audit_checkpoints
    for each statement execute function refuse_table_change();

-- One course seemingly registered twice (the person's own record and an official one): neither is
-- taken away automatically; a reviewer of the person's region decides. Written once, closed once.
create table duplicate_flags (
    id              bigint generated always as identity primary key,
    record_id       uuid not null references records (id),     -- the person's own record
    official_id     uuid not null references records (id),
    reason          text not null,
    created_at      timestamptz not null default now(),
    closed_at       timestamptz,
    closed_by       text,
    unique (record_id, official_id)
);
create index duplicate_flags_open on duplicate_flags (created_at) where closed_at is null;

create function guard_duplicate_flag() returns trigger language plpgsql as $$
begin
    if tg_op <> 'UPDATE' or old.closed_at is not null or new.closed_at is null or new.closed_by is null
       or (new.id, new.record_id, new.official_id, new.reason, new.created_at)
          is distinct from (old.id, old.record_id, old.official_id, old.reason, old.created_at) then
        raise exception 'duplicate_flags: a flag is written once and closed once (% refused)', tg_op;
    end if;
    return new;
end $$;

create trigger duplicate_flags_close_once before update or delete on duplicate_flags
    for each row execute function guard_duplicate_flag();
create trigger duplicate_flags_no_truncate before truncate on duplicate_flags
    for each statement execute function refuse_table_change();

-- Records written before row hashes existed are sealed now: one 'seal' event each, by the system,
-- carrying the hash of the row as it stands, so that from here on every row has a last event to match.
insert into record_events (record_id, actor_kind, actor_name, role, action, from_status, to_status, reason)
select r.id, 'system', '系统', 'system', 'seal', r.status, r.status, '记录校验值补录（迁移 0013）'
from records r order by r.created_at, r.id;
