-- A new kind of verifier (an industry department, a qualified unit) is a data change: its row in
-- verifier_kinds says which role works it, whether it is scoped by unit or by region, and which
-- series it answers for; routing_rules send records to it; users of that role are bound to a scope.

alter table verifier_kinds add column series_only text references series (code);   -- null: any series
alter table verifier_kinds add column series_excluded text[] not null default '{}';
update verifier_kinds set series_excluded = '{health}' where code = 'hr';
update verifier_kinds set series_only = 'health' where code = 'health';

-- Roles were a fixed list; reviewer roles now come from verifier_kinds (checked when a user is made).
do $$
declare
    c record;
begin
    for c in select conname from pg_constraint where conrelid = 'users'::regclass and contype = 'c' loop
        execute format('alter table users drop constraint %I', c.conname);
    end loop;
end $$;

alter table users add constraint users_role_known check (role in ('professional', 'admin') or role like '%\_reviewer');
alter table users add constraint users_professional_has_person check ((role = 'professional') = (person_id is not null));
alter table users add constraint users_reviewer_has_one_scope
    check (role not like '%\_reviewer' or ((unit_code is not null) <> (region_prefix is not null)));
