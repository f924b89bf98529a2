-- The foundation: catalogue, units, people, records and their history, machine clients, users.
-- Hours are stored as whole half-hours (half_hours = hours * 2): exact, and sums stay integers.

create table series (
    code        text primary key,
    name_zh     text not null
);

insert into series (code, name_zh) values
    ('health', '卫生'),
    ('engineering', '工程'),
    ('school_teacher', '中小学教师'),
    ('economics', '经济'),
    ('accounting', '会计'),
    ('audit', '审计'),
    ('statistics', '统计'),
    ('agriculture', '农业'),
    ('higher_education', '高等学校教师'),
    ('vocational_teacher', '技工院校教师'),
    ('journalism', '新闻'),
    ('publishing', '出版'),
    ('law', '法律'),
    ('art', '艺术'),
    ('sports', '体育'),
    ('research', '自然科学研究'),
    ('social_science', '哲学社会科学研究'),
    ('translation', '翻译'),
    ('library', '图书资料'),
    ('archives', '档案'),
    ('cultural_relics', '文物博物'),
    ('broadcasting', '播音主持'),
    ('social_work', '社会工作'),
    ('experiment', '实验技术'),
    ('arts_crafts', '工艺美术');

-- Employer units (用人单位), keyed by their unified social credit code.
create table units (
    credit_code     char(18) primary key,
    name            text not null,
    kind            text not null default 'enterprise'
                    check (kind in ('government', 'public_institution', 'enterprise', 'private', 'social_org', 'other')),
    region          char(6) not null,
    department      text not null default '',   -- competent department (主管部门)
    created_at      timestamptz not null default now()
);

create table persons (
    id              bigint generated always as identity primary key,
    national_id     char(18) not null unique,
    name            text not null,
    series          text not null references series (code),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

-- Level, workplace, region and unit from from_year until the next period's from_year.
create table person_periods (
    person_id       bigint not null references persons (id),
    from_year       smallint not null check (from_year between 1950 and 2200),
    level           text not null check (level in ('senior_full', 'senior_associate', 'intermediate', 'junior')),
    workplace       text not null check (workplace in ('standard', 'grassroots', 'private')),
    region          char(6) not null,
    unit_code       char(18) not null,   -- not a foreign key: HR may name a unit before an admin adds it
    primary key (person_id, from_year)
);
create index person_periods_unit on person_periods (unit_code);
create index person_periods_region on person_periods (region);

-- Every replacement of a person's master data, with what it was before: periods are replaced
-- wholesale by HR, so the old ones are kept here.
create table person_history (
    id              bigint generated always as identity primary key,
    person_id       bigint not null references persons (id),
    at              timestamptz not null default now(),
    actor           text not null,
    before          jsonb,
    after           jsonb not null
);
create index person_history_person on person_history (person_id, id);

-- Years in which CE hours are not required (e.g. green channel, 绿色通道). Never deleted.
create table exemptions (
    id              bigint generated always as identity primary key,
    person_id       bigint not null references persons (id),
    from_year       smallint not null,
    to_year         smallint not null,
    reason          text not null,
    note            text not null default '',
    created_by      text not null,
    created_at      timestamptz not null default now(),
    check (from_year <= to_year)
);
create index exemptions_person on exemptions (person_id);

-- Machine clients: providers, review systems, HR systems. Only a SHA-256 of the token is kept.
create table api_clients (
    id              bigint generated always as identity primary key,
    name            text not null,
    kind            text not null check (kind in ('provider', 'review_system', 'hr_system')),
    token_hash      bytea not null unique,
    token_hint      text not null,          -- the first characters, to tell tokens apart in lists
    regions         text[] not null default '{}',   -- empty: every region
    created_at      timestamptz not null default now(),
    revoked_at      timestamptz
);

-- People who log in: professionals, reviewers, administrators.
create table users (
    id              bigint generated always as identity primary key,
    username        text not null unique,
    display_name    text not null,
    role            text not null check (role in ('professional', 'unit_reviewer', 'hr_reviewer', 'health_reviewer', 'admin')),
    person_id       bigint references persons (id),
    unit_code       char(18),
    region_prefix   text,
    password_hash   text not null,
    created_at      timestamptz not null default now(),
    disabled_at     timestamptz,
    -- each role is bound to exactly the scope it works in
    check ((role = 'professional') = (person_id is not null)),
    check ((role = 'unit_reviewer') = (unit_code is not null)),
    check ((role in ('hr_reviewer', 'health_reviewer')) = (region_prefix is not null))
);
create unique index users_one_login_per_person on users (person_id) where person_id is not null;

-- Login sessions; the cookie holds a random token, the table its SHA-256.
create table sessions (
    token_hash      bytea primary key,
    user_id         bigint not null references users (id),
    created_at      timestamptz not null default now(),
    expires_at      timestamptz not null
);
create index sessions_user on sessions (user_id);

-- Hours of one course for one person in one year.
create table records (
    id              uuid primary key default gen_random_uuid(),
    person_id       bigint not null references persons (id),
    year            smallint not null check (year between 1950 and 2200),
    category        text not null check (category in ('public', 'professional')),
    half_hours      integer not null check (half_hours > 0),
    course_title    text not null check (length(course_title) between 1 and 200),
    course_code     text,
    provider        text not null default '',
    completed_on    date not null,
    region_earned   char(6),
    source          text not null check (source in ('self', 'provider', 'platform', 'import', 'recognised', 'hr')),
    source_client_id bigint references api_clients (id),
    external_id     text,
    status          text not null check (status in
                    ('draft', 'submitted', 'unit_approved', 'registered', 'returned', 'withdrawn', 'revoked')),
    status_reason   text,                   -- the last return or revocation reason, shown to the owner
    evidence_ref    text,                   -- content hash of the certificate file
    created_by      bigint references users (id),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    submitted_at    timestamptz,
    registered_at   timestamptz,            -- copies of the event instants, for fast as-of queries
    revoked_at      timestamptz,
    check (extract(year from completed_on) = year)
);
create index records_person_year on records (person_id, year);
create unique index records_client_external on records (source_client_id, external_id) where external_id is not null;
create index records_status on records (status, created_at);

-- The append-only history of every record: who did what, when, from which status to which, why.
create table record_events (
    id              bigint generated always as identity primary key,
    record_id       uuid not null references records (id),
    at              timestamptz not null default clock_timestamp(),
    actor_kind      text not null check (actor_kind in ('user', 'client', 'system')),
    actor_id        bigint,
    actor_name      text not null,
    role            text not null,
    scope           text not null default '',
    action          text not null,
    from_status     text,
    to_status       text not null,
    reason          text,
    changes         jsonb
);
create index record_events_record on record_events (record_id, id);

create function refuse_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'record_events is append-only: % refused', tg_op;
end $$;

create trigger record_events_append_only
    before update or delete or truncate on record_events
    for each statement execute function refuse_history_change();
