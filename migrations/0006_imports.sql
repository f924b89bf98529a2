-- Bulk imports of records and people from CSV or XLSX files: the file, its progress and a result per row.

-- Imports register their records through one client row per uploader scope (a unit or a region), so
-- a row sent again, in a fixed file or the same one, finds the record it made by its external_id.
alter table api_clients drop constraint api_clients_kind_check;
alter table api_clients add constraint api_clients_kind_check
    check (kind in ('provider', 'review_system', 'hr_system', 'platform', 'importer'));
create unique index api_clients_one_importer_per_scope on api_clients (name) where kind = 'importer';

create table imports (
    id              uuid primary key default gen_random_uuid(),
    kind            text not null check (kind in ('records', 'people')),
    filename        text not null check (length(filename) between 1 and 255),
    format          text not null check (format in ('csv', 'xlsx')),
    content         bytea not null,
    uploaded_by     bigint references users (id),     -- null: from the command line
    uploader_name   text not null,
    client_id       bigint not null references api_clients (id),
    unit_code       text,                              -- a unit's import: only people of that unit
    status          text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
    rows_total      integer,
    rows_done       integer not null default 0,
    accepted        integer not null default 0,
    duplicates      integer not null default 0,
    held            integer not null default 0,
    rejected        integer not null default 0,
    error           text,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
create index imports_by_uploader on imports (uploaded_by, created_at desc);

-- One result per data row of the file, by its line number (the header is line 1).
create table import_rows (
    import_id       uuid not null references imports (id),
    line            integer not null,
    key             text,                              -- the row's external_id (records) or ID number (people)
    status          text not null check (status in ('accepted', 'duplicate', 'held', 'rejected', 'created', 'updated')),
    record_id       uuid,
    errors          jsonb,
    primary key (import_id, line)
);
