"""SQL for persons, periods, exemptions and units."""

SERIES_EXISTS = "select exists (select 1 from series where code = $1)"

PERSON_FOR_UPDATE = "select id from persons where national_id = $1 for update"

INSERT_PERSON = """
insert into persons (national_id, name, series) values ($1, $2, $3)
on conflict (national_id) do nothing
returning id
"""

UPDATE_PERSON = "update persons set name = $2, series = $3, updated_at = now() where id = $1"

PERSON_ID_AND_REGION = """
select p.id, (select pp.region from person_periods pp where pp.person_id = p.id order by pp.from_year desc limit 1)
    as region
from persons p where p.national_id = $1
"""

PERSON_NAME_SERIES = "select name, series from persons where id = $1"

PERIODS = """
select from_year, level, workplace, region, unit_code from person_periods where person_id = $1 order by from_year
"""

DELETE_PERIODS = "delete from person_periods where person_id = $1"

INSERT_PERIODS = """
insert into person_periods (person_id, from_year, level, workplace, region, unit_code)
select $1, p.from_year, p.level, p.workplace, p.region, p.unit_code
from unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[])
    as p (from_year, level, workplace, region, unit_code)
"""

INSERT_HISTORY = "insert into person_history (person_id, actor, before, after) values ($1, $2, $3, $4)"

INSERT_EXEMPTION = """
insert into exemptions (person_id, from_year, to_year, reason, note, created_by)
values ($1, $2, $3, $4, $5, $6)
returning id
"""

UPSERT_UNIT = """
insert into units (credit_code, name, kind, region, department) values ($1, $2, $3, $4, $5)
on conflict (credit_code) do update set name = excluded.name, kind = excluded.kind,
    region = excluded.region, department = excluded.department
"""
