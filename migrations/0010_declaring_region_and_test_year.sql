-- A platform's public-subject test belongs to its exam year even when it was finished early the
-- next year (up to 31 March; the platform keeps the year open into the new one): such a record keeps
-- year = exam_year with its real completion date. Every other record is still completed inside its year.

do $$
declare
    c record;
begin
    for c in select conname from pg_constraint
             where conrelid = 'records'::regclass and contype = 'c'
               and pg_get_constraintdef(oid) like '%EXTRACT(year FROM completed_on)%' loop
        execute format('alter table records drop constraint %I', c.conname);
    end loop;
end $$;

alter table records add constraint records_completed_in_year check (
    extract(year from completed_on) = year
    or (source = 'platform' and extract(year from completed_on) = year + 1
        and completed_on <= make_date(year + 1, 3, 31)));

-- A course of a platform or provider counts once per person: the compliance query looks up the
-- person's keyed records of every year up to the one asked.
create index records_person_courses on records (person_id, year)
    where source = 'platform' or (source = 'provider' and course_code is not null);
