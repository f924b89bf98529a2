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
    as region,
    (select min(pp.from_year) from person_periods pp where pp.person_id = p.id) as first_year
from persons p where p.national_id = $1
"""

PERSON_NAME_SERIES = "select name, series from persons where id = $1"

PERIODS = """
select from_year, level, workplace, region, unit_code, affiliation from person_periods where person_id = $1
order by from_year
"""

DELETE_PERIODS = "delete from person_periods where person_id = $1"

INSERT_PERIODS = """
insert into person_periods (person_id, from_year, level, workplace, region, unit_code, affiliation)
select $1, p.from_year, p.level, p.workplace, p.region, p.unit_code, p.affiliation
from unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    as p (from_year, level, workplace, region, unit_code, affiliation)
"""

# Personnel agencies and industry departments among these credit codes, with the affiliation they give.
AGENCIES = """
select credit_code::text as code, kind from units where credit_code = any($1::bpchar[]) and kind in ('agency', 'industry')
"""

INSERT_HISTORY = "insert into person_history (person_id, actor, before, after) values ($1, $2, $3, $4)"

INSERT_EXEMPTION = """
insert into exemptions (person_id, from_year, to_year, reason, note, created_by)
values ($1, $2, $3, $4, $5, $6)
returning id
"""

UNIT_KIND_IN_USE = """
select u.kind, exists (select 1 from person_periods pp where pp.unit_code = u.credit_code) as in_use
from units u where u.credit_code = $1
for update
"""

UPSERT_UNIT = """
insert into units (credit_code, name, kind, region, department) values ($1, $2, $3, $4, $5)
on conflict (credit_code) do update set name = excluded.name, kind = excluded.kind,
    region = excluded.region, department = excluded.department
"""

SERIES_WITH_PEOPLE = """
select s.code, s.name_zh, (select count(*) from persons p where p.series = s.code) as people
from series s order by s.code
"""

SERIES_SAME_CODE_OR_NAME = "select code, name_zh from series where code = $1 or name_zh = $2 limit 1"

INSERT_SERIES = "insert into series (code, name_zh) values ($1, $2) on conflict (code) do nothing returning code"
