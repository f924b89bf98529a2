-- The provincial training platforms the service pulls results from, what it could not use, and
-- self-logged records superseded by an official record of the same course.

-- Each platform registers its records through an API client row of its own (kind 'platform'), so
-- its records share the (source_client_id, external_id) uniqueness, held records and reconciliation
-- of every other source. Its token_hash is random: no bearer token ever maps to it.
alter table api_clients drop constraint api_clients_kind_check;
alter table api_clients add constraint api_clients_kind_check
    check (kind in ('provider', 'review_system', 'hr_system', 'platform'));

create table platforms (
    id              bigint generated always as identity primary key,
    name            text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    base_url        text not null check (base_url ~ '^https?://'),
    -- The bearer token we send to the platform. It must be kept in clear to be sent; the database
    -- is its boundary, as for the database password. Never listed or logged.
    token           text not null,
    region          char(6) not null,
    interval_seconds integer not null check (interval_seconds between 60 and 604800),
    enabled         boolean not null default true,
    client_id       bigint not null unique references api_clients (id),
    cursor          text,                    -- the `since` of the next page; null: from the beginning
    last_attempt_at timestamptz,
    last_success_at timestamptz,             -- last run that reached the end (next_cursor null)
    last_error      text,
    last_error_at   timestamptz,
    pages_stored    bigint not null default 0,
    items_stored    bigint not null default 0,
    items_duplicate bigint not null default 0,
    items_held      bigint not null default 0,
    items_set_aside bigint not null default 0,
    created_at      timestamptz not null default now()
);

-- Results the service could not use, with the reason; a replayed page finds them already here.
create table platform_set_aside (
    id              bigint generated always as identity primary key,
    platform_id     bigint not null references platforms (id),
    result_id       text not null,
    reason          text not null,
    payload         jsonb not null,
    at              timestamptz not null default now(),
    unique (platform_id, result_id)
);

-- A self-logged record of a course an official source (provider, platform, HR, import) also sent:
-- the official one counts, this one is kept with a pointer and stops counting.
alter table records drop constraint records_status_check;
alter table records add constraint records_status_check check (status in
    ('draft', 'submitted', 'unit_approved', 'registered', 'returned', 'withdrawn', 'revoked', 'superseded'));
alter table records add column superseded_by uuid references records (id);
alter table records add constraint records_superseded_has_pointer
    check ((status = 'superseded') = (superseded_by is not null));
-- Finding the self-logged candidates of an official record: few per person and year.
create index records_self_by_person on records (person_id, year, category) where source = 'self';
