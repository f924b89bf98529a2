-- The national list of title series completed; people without an employer unit, verified by a
-- personnel agency (人事代理机构) or an industry department (行业主管部门); HR-pushed records of the
-- health series verified by the health department.

-- Series of the national list (职称系列) that were missing.
insert into series (code, name_zh) values
    ('secondary_vocational_teacher', '中等职业学校教师'),
    ('party_school_teacher', '党校（行政学院）教师'),
    ('ship', '船舶技术'),
    ('civil_aviation', '民用航空飞行技术'),
    ('notary', '公证')
on conflict (code) do nothing;

-- Agencies and industry departments are kept beside employer units, under their credit code.
alter table units drop constraint units_kind_check;
alter table units add constraint units_kind_check check (kind in
    ('government', 'public_institution', 'enterprise', 'private', 'social_org', 'other', 'agency', 'industry'));

-- Who vouches for a person in a period: their employer unit, an agency (freelancers, 自由职业者) or
-- an industry department (staff of 非公经济组织); unit_code holds that organisation's credit code.
alter table person_periods add column affiliation text not null default 'unit'
    check (affiliation in ('unit', 'agency', 'industry'));

-- A unit-scoped kind answers for the people whose period names the reviewer's organisation with
-- this affiliation (null: any); region-scoped kinds leave it null.
alter table verifier_kinds add column affiliation text check (affiliation in ('unit', 'agency', 'industry'));
update verifier_kinds set affiliation = 'unit' where code = 'unit';
insert into verifier_kinds (code, name_zh, role, scope, affiliation) values
    ('agency', '人事代理机构', 'agency_reviewer', 'unit', 'agency'),
    ('industry', '行业主管部门', 'industry_reviewer', 'unit', 'industry');

-- Routing by affiliation too (null: any). The most specific rule wins: a series over any (a series
-- may be verified only by its own department, e.g. health), then an affiliation over any (a person
-- without a unit has no unit to verify), then the longer region.
alter table routing_rules add column affiliation text check (affiliation in ('unit', 'agency', 'industry'));
drop index routing_rules_unique;
create unique index routing_rules_unique on routing_rules (source, coalesce(series, ''), coalesce(affiliation, ''), region_prefix);

drop function route_for(text, text, text);
create function route_for(p_source text, p_series text, p_region text, p_affiliation text default null)
returns text[] language sql stable as $$
    select steps from routing_rules
    where source = p_source and (series is null or series = p_series)
      and (affiliation is null or affiliation = p_affiliation)
      and coalesce(p_region, '') like region_prefix || '%'
    order by (series is not null) desc, (affiliation is not null) desc, length(region_prefix) desc
    limit 1
$$;

insert into routing_rules (source, series, affiliation, steps, note) values
    ('hr', 'health', null, '{health}', '卫生系列由卫生健康部门审核验印'),
    ('self', null, 'agency', '{agency,hr}', '人事代理机构审核后人社部门审核验印'),
    ('self', 'health', 'agency', '{agency,health}', '卫生系列由卫生健康部门审核验印'),
    ('self', null, 'industry', '{industry,hr}', '行业主管部门审核后人社部门审核验印'),
    ('self', 'health', 'industry', '{industry,health}', '卫生系列由卫生健康部门审核验印'),
    ('import', null, 'agency', '{agency,hr}', '批量导入同自行登记'),
    ('import', 'health', 'agency', '{agency,health}', ''),
    ('import', null, 'industry', '{industry,hr}', '批量导入同自行登记'),
    ('import', 'health', 'industry', '{industry,health}', ''),
    ('recognised', null, 'agency', '{agency,hr}', '外地学时认定'),
    ('recognised', 'health', 'agency', '{agency,health}', ''),
    ('recognised', null, 'industry', '{industry,hr}', '外地学时认定'),
    ('recognised', 'health', 'industry', '{industry,health}', '')
-- An operator may have added some of these by hand already: theirs stays.
on conflict (source, coalesce(series, ''), coalesce(affiliation, ''), region_prefix) do nothing;
