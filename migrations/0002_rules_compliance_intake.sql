-- Rule sets as data, signing keys for compliance receipts, and what intake needs to never
-- count a record twice (content hashes) and never lose one (held records).

-- Every version of every rule set ever loaded; the newest version of each name is in force.
create table rule_sets (
    id              bigint generated always as identity primary key,
    name            text not null,
    version         integer not null,
    title           text not null,
    definition      jsonb not null,       -- the parsed, validated rules
    source_text     text not null,        -- the file exactly as loaded
    checksum        text not null,
    loaded_by       text not null,
    loaded_at       timestamptz not null default now(),
    unique (name, version)
);

-- Public halves of every key that ever signed a compliance answer, so old receipts stay verifiable.
create table signing_keys (
    kid             text primary key,
    algorithm       text not null default 'Ed25519',
    public_key      bytea not null,
    first_used_at   timestamptz not null default now()
);

-- The canonical content of a record as a client sent it: a resend with the same content is a
-- duplicate, with other content a conflict.
alter table records add column content_hash bytea;

-- Records that arrived well-formed for a person not in the registry yet; attached when the person
-- is added, never dropped.
create table held_records (
    id              bigint generated always as identity primary key,
    national_id     char(18) not null,
    source          text not null check (source in ('provider', 'platform', 'import', 'hr')),
    source_client_id bigint references api_clients (id),
    external_id     text,
    content_hash    bytea not null,
    payload         jsonb not null,
    reason          text not null,
    received_at     timestamptz not null default now(),
    attached_record_id uuid references records (id),
    attached_at     timestamptz
);
create unique index held_records_client_external on held_records (source_client_id, external_id)
    where external_id is not null;
create index held_records_waiting on held_records (national_id) where attached_at is null;
