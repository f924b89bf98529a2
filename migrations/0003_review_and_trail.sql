-- Verification: routing as data, each record's route and next step, the integrity file, and a
-- hash chain over every record event so that any later edit of the trail can be detected.

-- Who can verify: each kind is worked by one reviewer role, scoped by unit or by region.
create table verifier_kinds (
    code        text primary key,
    name_zh     text not null,
    role        text not null unique,
    scope       text not null check (scope in ('unit', 'region'))
);
insert into verifier_kinds (code, name_zh, role, scope) values
    ('unit', '用人单位', 'unit_reviewer', 'unit'),
    ('hr', '人社部门', 'hr_reviewer', 'region'),
    ('health', '卫生健康部门', 'health_reviewer', 'region');

-- Which steps a record goes through, by its source, the person's series and region. The most
-- specific rule wins: a series over any series, then a longer region prefix over a shorter one.
create table routing_rules (
    id              bigint generated always as identity primary key,
    source          text not null check (source in ('self', 'provider', 'platform', 'import', 'recognised', 'hr')),
    series          text references series (code),       -- null: any series
    region_prefix   text not null default '',            -- '': any region
    steps           text[] not null,                      -- verifier kinds in order; empty: registered directly
    note            text not null default ''
);
create unique index routing_rules_unique on routing_rules (source, coalesce(series, ''), region_prefix);

insert into routing_rules (source, series, steps, note) values
    ('self', null, '{unit,hr}', '单位审核后人社部门审核验印'),
    ('self', 'health', '{unit,health}', '卫生系列由卫生健康部门审核验印'),
    ('import', null, '{unit,hr}', '批量导入同自行登记'),
    ('import', 'health', '{unit,health}', ''),
    ('recognised', null, '{unit,hr}', '外地学时认定'),
    ('recognised', 'health', '{unit,health}', ''),
    ('provider', null, '{hr}', '备案培训机构推送：人社部门审核'),
    ('provider', 'health', '{health}', ''),
    ('platform', null, '{}', '平台公需科目考试结果：政务数据核验，直接登记'),
    ('hr', null, '{}', '人社或行业部门已审核：直接登记');

-- The steps for a record of `source` for a person of `series` in `region`: the most specific rule.
create function route_for(p_source text, p_series text, p_region text) returns text[] language sql stable as $$
    select steps from routing_rules
    where source = p_source and (series is null or series = p_series)
      and coalesce(p_region, '') like region_prefix || '%'
    order by (series is not null) desc, length(region_prefix) desc
    limit 1
$$;

-- The route a record was given when it was submitted, and which of its steps comes next.
alter table records add column route text[];
alter table records add column step smallint not null default 0;
create index records_waiting on records (status, created_at) where status in ('submitted', 'unit_approved');

-- Records already waiting get the route the rules give them, at the step their status says.
update records r set route = coalesce(route_for(r.source, p.series, (
        select pp.region from person_periods pp where pp.person_id = r.person_id and pp.from_year <= r.year
        order by pp.from_year desc limit 1)), '{}'),
    step = case when r.status = 'unit_approved' and r.source in ('self', 'import', 'recognised') then 1 else 0 end
from persons p
where p.id = r.person_id and r.status in ('submitted', 'unit_approved');

-- The person's integrity file (诚信档案): revocations for falsified hours, and the like.
create table integrity_entries (
    id              bigint generated always as identity primary key,
    person_id       bigint not null references persons (id),
    at              timestamptz not null default now(),
    kind            text not null,
    record_id       uuid references records (id),
    reason          text not null,
    actor           text not null
);
create index integrity_entries_person on integrity_entries (person_id, at);

create trigger integrity_entries_append_only
    before update or delete or truncate on integrity_entries
    for each statement execute function refuse_history_change();

-- The hash chain: each event's hash covers its content and the previous event's hash. The head
-- row is updated by every insert, so concurrent transactions chain one after the other.
alter table record_events add column chain_seq bigint;
alter table record_events add column prev_hash bytea;
alter table record_events add column hash bytea;
create unique index record_events_chain on record_events (chain_seq);

create table event_chain_head (
    only_row    boolean primary key default true check (only_row),
    seq         bigint not null,
    hash        bytea not null
);
insert into event_chain_head (seq, hash) values (0, sha256(''::bytea));

-- The exact bytes an event's hash covers (used by the trigger and by `ce-service audit verify`):
-- every field in order, separated by U+001F, a missing value written as U+001E.
create function record_event_content(e record_events) returns bytea language sql immutable as $$
    select convert_to(array_to_string(array[
        e.chain_seq::text, e.record_id::text,
        to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_kind, e.actor_id::text,
        e.actor_name, e.role, e.scope, e.action, e.from_status, e.to_status, e.reason, e.changes::text
    ], E'\x1f', E'\x1e'), 'UTF8')
$$;

create function chain_record_event() returns trigger language plpgsql as $$
declare
    head event_chain_head;
begin
    -- The row lock on the head makes concurrent writers chain one after the other.
    select * into head from event_chain_head where only_row for update;
    new.chain_seq := head.seq + 1;
    new.prev_hash := head.hash;
    new.hash := sha256(head.hash || record_event_content(new));
    update event_chain_head set seq = new.chain_seq, hash = new.hash where only_row;
    return new;
end $$;

-- Events written before the chain existed are chained now, in id order (a one-time backfill: the
-- append-only trigger is lifted for it inside this migration's transaction only).
alter table record_events disable trigger record_events_append_only;
do $$
declare
    e record_events;
    running bytea := sha256(''::bytea);
    n bigint := 0;
begin
    for e in select * from record_events order by id loop
        n := n + 1;
        e.chain_seq := n;
        e.prev_hash := running;
        running := sha256(running || record_event_content(e));
        update record_events set chain_seq = n, prev_hash = e.prev_hash, hash = running where id = e.id;
    end loop;
    update event_chain_head set seq = n, hash = running;
end $$;
alter table record_events enable trigger record_events_append_only;

alter table record_events alter column chain_seq set not null;
alter table record_events alter column prev_hash set not null;
alter table record_events alter column hash set not null;

create trigger record_events_chain before insert on record_events
    for each row execute function chain_record_event();
