-- The integrity file (诚信档案) is read now: each entry has the date it happened on, the document it
-- rests on, whether it bars title declaration, and who wrote it (a reviewer, an HR system, the system).

alter table integrity_entries add column entry_date date default ((now() at time zone 'Asia/Shanghai')::date);
alter table integrity_entries add column document text not null default '';
alter table integrity_entries add column bars_declaration boolean not null default false;
alter table integrity_entries add column actor_kind text default 'system';
alter table integrity_entries add column actor_id bigint;                 -- the user's or client's id

-- Entries written so far were revocations by reviewers: dated the day they were written (China),
-- under the kind's new name. A one-time backfill: the append-only trigger is lifted for it inside
-- this migration's transaction only.
alter table integrity_entries disable trigger integrity_entries_append_only;
update integrity_entries set entry_date = (at at time zone 'Asia/Shanghai')::date, actor_kind = 'user',
    kind = case when kind = 'hours_revoked' then 'revocation' else kind end;
alter table integrity_entries enable trigger integrity_entries_append_only;

alter table integrity_entries alter column entry_date set not null;
alter table integrity_entries alter column actor_kind set not null;
alter table integrity_entries add constraint integrity_entries_kind
    check (kind in ('falsification', 'misconduct', 'blacklist', 'revocation'));
alter table integrity_entries add constraint integrity_entries_actor_kind
    check (actor_kind in ('user', 'client', 'system'));

-- A person's file, newest first.
create index integrity_entries_file on integrity_entries (person_id, entry_date desc, id desc);

-- Revocations, newest first: the units whose approvals were later revoked are listed from these.
create index record_events_revocations on record_events (at desc, id desc) where action = 'revoke';
