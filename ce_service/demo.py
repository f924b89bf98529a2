"""Demo data: units in Guizhou (and one in Hubei), ~50 professionals with years of hours, reviewers, clients.

`load_demo(conn)` loads everything in one transaction and returns a printable report of every credential it
made (the shared demo password, each username and each API client's token), or None when the demo is
already there.

Marker: the demo is "loaded" when the unit 凯里市人民医院 with credit code DEMO_MARKER_UNIT exists. A second
call sees it and returns None without touching anything. If the marker is absent but a demo username or ID
number is already taken (data entered by hand), the load refuses with Conflict instead of half-loading.

Content is deterministic (random.Random(2026)) for a given day; only the API tokens are fresh randoms. Dates
depend on the day of the load: records cover 2019 up to the current year, and no date or instant lies in the
future (records whose review would end after now stop at the step already reached, so the current year has
drafts and pending records).

How a record's history reads (record_events):
  self      professional create -> draft, submit -> submitted, unit reviewer approve -> unit_approved,
            HR (health: 卫健委) reviewer register -> registered; or return / withdraw / revoke on the way.
  provider  the provider client creates it as submitted, then approve and register as above.
  platform  the public-course platform (system) imports it as registered (30 h, course_code GX-<year>).
  hr        the HR system client imports it as registered (unit-organised training, historical data).
Actors without a demo login (professionals other than the three demo ones, the Hubei reviewers) are
recorded by name with actor_id null.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import asyncpg

from ce_service import words
from ce_service.auth.secrets import hash_password, new_token, token_hash
from ce_service.errors import Conflict
from ce_service.identity import make_credit_code, make_national_id
from ce_service.records import transitions
from ce_service.records.transitions import Actor, PastEvent

# ---------------------------------------------------------------------------------------------- SQL

# Serialises concurrent demo loads (the key is arbitrary but fixed: "ce-demo").
LOCK_DEMO = "select pg_advisory_xact_lock($1)"

# Records waiting for a decision get the route routing_rules gives them, at the step they reached.
ROUTE_WAITING = """
update records r set route = coalesce(route_for(r.source, p.series, (
        select pp.region from person_periods pp where pp.person_id = r.person_id and pp.from_year <= r.year
        order by pp.from_year desc limit 1)), '{}'),
    step = case when r.status = 'unit_approved' and r.source in ('self', 'import', 'recognised') then 1 else 0 end
from persons p
where p.id = r.person_id and r.status in ('submitted', 'unit_approved') and r.route is null
"""

MARKER_EXISTS = "select exists (select 1 from units where credit_code = $1)"

TAKEN_USERNAMES = "select array_agg(username order by username) from users where username = any($1::text[])"

TAKEN_NATIONAL_IDS = "select count(*) from persons where national_id = any($1::text[])"

INSERT_UNITS = """
insert into units (credit_code, name, kind, region, department)
select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
"""

INSERT_CLIENTS = """
insert into api_clients (name, kind, token_hash, token_hint, regions)
select c.name, c.kind, c.token_hash, c.token_hint, $5::text[]
from unnest($1::text[], $2::text[], $3::bytea[], $4::text[]) as c (name, kind, token_hash, token_hint)
returning id, kind
"""

INSERT_PERSONS = """
insert into persons (national_id, name, series)
select * from unnest($1::text[], $2::text[], $3::text[])
returning id, national_id
"""

INSERT_PERIODS = """
insert into person_periods (person_id, from_year, level, workplace, region, unit_code)
select * from unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[])
"""

# The JSON travels as text so that it works with and without a jsonb codec on the connection.
INSERT_HISTORY = """
insert into person_history (person_id, actor, after)
select h.person_id, $3::text, h.after::jsonb
from unnest($1::bigint[], $2::text[]) as h (person_id, after)
"""

INSERT_EXEMPTION = """
insert into exemptions (person_id, from_year, to_year, reason, note, created_by)
values ($1, $2, $3, $4, $5, $6)
"""

INSERT_USERS = """
insert into users (username, display_name, role, person_id, unit_code, region_prefix, password_hash)
select u.username, u.display_name, u.role, u.person_id, u.unit_code, u.region_prefix, $7
from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
    as u (username, display_name, role, person_id, unit_code, region_prefix)
returning id, username
"""

INSERT_RECORDS = """
insert into records (id, person_id, year, category, half_hours, course_title, course_code, provider, completed_on,
    region_earned, source, source_client_id, external_id, status, status_reason, created_by, created_at,
    updated_at, submitted_at, registered_at, revoked_at)
select * from unnest($1::uuid[], $2::bigint[], $3::smallint[], $4::text[], $5::integer[], $6::text[], $7::text[],
    $8::text[], $9::date[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[],
    $16::bigint[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::timestamptz[],
    $21::timestamptz[])
"""

# Every revocation is in the person's integrity file (诚信档案), as the services write it.
INSERT_REVOCATION_ENTRIES = """
insert into integrity_entries (person_id, at, kind, reason, entry_date, record_id, actor_kind, actor_id, actor)
select r.person_id, e.at, 'revocation', coalesce(e.reason, ''), (e.at at time zone 'Asia/Shanghai')::date, r.id,
    e.actor_kind, e.actor_id, e.actor_name || ' (' || e.role || ' ' || e.scope || ')'
from record_events e join records r on r.id = e.record_id
where e.action = 'revoke'
order by e.at, e.id
"""

# ---------------------------------------------------------------------------------------------- content

SEED = 2026
LOCK_KEY = int.from_bytes(b"ce-demo", "big")
DEMO_PASSWORD = "demo-pass-2026"
DEMO_ACTOR = "demo"
FIRST_YEAR = 2019
CST = timezone(timedelta(hours=8))  # China Standard Time, for realistic office hours


@dataclass(frozen=True)
class DemoUnit:
    """An employer unit, its unit reviewer (if it has a demo login) and its staff by series."""

    name: str
    kind: str
    region: str
    department: str
    first17: str
    reviewer: tuple[str, str] | None  # (username, display name)
    staff: tuple[tuple[str, int], ...]

    @property
    def code(self) -> str:
        return make_credit_code(self.first17)


UNITS = (
    DemoUnit("凯里市人民医院", "public_institution", "522601", "凯里市卫生健康局", "12522601429512365",
             ("unit-klrmyy", "王审核（凯里市人民医院）"), (("health", 12), ("accounting", 1), ("statistics", 1))),
    DemoUnit("凯里市第一中学", "public_institution", "522601", "凯里市教育局", "12522601429513170",
             ("unit-klyz", "李审核（凯里市第一中学）"), (("school_teacher", 9), ("accounting", 1))),
    DemoUnit("贵州某建筑工程有限公司", "enterprise", "520102", "", "91520102MA6DK3X21",
             ("unit-gzjz", "赵审核（贵州某建筑工程有限公司）"),
             (("engineering", 6), ("economics", 1), ("accounting", 1), ("statistics", 1))),
    DemoUnit("黔东南州某民营科技公司", "private", "522601", "", "91522601MA6HRT5L8",
             ("unit-qdnkj", "潘审核（黔东南州某民营科技公司）"), (("engineering", 3), ("agriculture", 3))),
    DemoUnit("贵阳市某会计师事务所", "private", "520103", "", "91520103MA6E8QN04",
             ("unit-gykj", "周审核（贵阳市某会计师事务所）"), (("accounting", 4), ("economics", 1), ("statistics", 1))),
    DemoUnit("武汉某设计院", "enterprise", "420106", "", "91420106MA4K9P2T6", None, (("engineering", 5),)),
)
DEMO_MARKER_UNIT = UNITS[0].code  # 凯里市人民医院: present means "the demo is loaded"

# (username, display name, role, region prefix)
REGION_REVIEWERS = (
    ("hr-guizhou", "陈登记（贵州省人社厅）", "hr_reviewer", "52"),
    ("hr-qiandongnan", "杨登记（黔东南州人社局）", "hr_reviewer", "5226"),
    ("health-guizhou", "刘卫审（贵州省卫生健康委）", "health_reviewer", "52"),
)
ADMIN = ("admin", "系统管理员")

# The three professionals who can sign in: (unit index, username, name, male, series).
PROFESSIONALS = (
    (0, "zhangwei", "张伟", True, "health"),
    (1, "yangli", "杨丽", False, "school_teacher"),
    (2, "wujianhua", "吴建华", True, "engineering"),
)

# kind -> (name, regions); regions limit which people a client may touch.
CLIENTS = (
    ("provider", "贵州省专业技术人员继续教育基地"),
    ("review_system", "贵州省职称评审系统"),
    ("hr_system", "贵州省人社厅人事信息系统"),
)
CLIENT_REGIONS = ["52"]
PROVIDER_BASE = CLIENTS[0][1]
HR_SYSTEM_NAME = CLIENTS[2][1]
PLATFORM = ("system", None, "公需科目平台对接（系统导入）", "system", "")
PLATFORM_PROVIDER = "贵州省专业技术人员继续教育公需科目平台"

# People of the Hubei unit have no demo reviewers with logins: their reviewers act by name only.
HUBEI_UNIT_REVIEWER = "孙审核（武汉某设计院）"
HUBEI_REGISTRAR = ("钱登记（武汉市人社局）", "4201")

EXEMPTION = (2024, 2025, "green_channel", "省级高层次人才绿色通道")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗龙潘石姚欧邓蒋田"
GIVEN_MALE = ("强", "军", "勇", "涛", "明辉", "志刚", "建国", "海波", "文斌", "俊杰", "国庆", "永红", "光荣", "德华",
              "晓东", "云飞", "正龙", "宏伟")
GIVEN_FEMALE = ("芳", "娟", "敏", "静", "秀英", "晓燕", "红梅", "婷婷", "雪梅", "春兰", "玉兰", "丽萍", "金花", "慧",
                "佳怡", "小琴", "梦瑶", "艳")

PUBLIC_COURSES = (
    "习近平新时代中国特色社会主义思想专题", "数字经济与创新驱动", "专业技术人员职业道德与诚信建设",
    "知识产权保护与运用", "乡村振兴战略与实践", "生态文明建设与绿色发展", "专业技术人员心理健康与压力管理",
    "网络安全与个人信息保护", "人工智能基础与应用", "法治中国建设专题", "专业技术人员创新能力提升",
    "大数据时代的科学决策",
)
PLATFORM_THEMES = {
    2019: "习近平新时代中国特色社会主义思想专题", 2020: "突发公共卫生事件应急管理",
    2021: "中国共产党百年奋斗历程与经验", 2022: "学习贯彻党的二十大精神", 2023: "数字经济与创新驱动发展",
    2024: "新质生产力与高质量发展", 2025: "人工智能赋能专业技术创新",
}
PUBLIC_PROVIDERS = ("中国干部网络学院", "国家开放大学", "贵州省人才培训中心", "黔东南州人社局公需科目培训班")
HUBEI_PUBLIC_PROVIDER = "湖北省专业技术人员继续教育公需科目平台"

PROFESSIONAL_COURSES = {
    "health": ("急危重症识别与处置新进展", "临床合理用药与抗菌药物管理", "医院感染预防与控制",
               "常见慢性病基层规范化管理", "心肺复苏与急救技能培训", "医疗质量与患者安全", "影像诊断新技术应用",
               "护理质量管理与循证护理", "中医适宜技术推广应用"),
    "school_teacher": ("新课标解读与大单元教学设计", "信息技术与学科教学深度融合", "中学生心理健康教育实务",
                       "作业设计与评价改革", "班主任工作能力提升", "县域普通高中教学质量提升", "跨学科主题学习设计"),
    "engineering": ("建筑结构抗震设计规范解读", "BIM技术在施工管理中的应用", "装配式建筑设计与施工",
                    "建设工程质量安全管理", "绿色建筑评价标准解读", "岩溶地区地基处理技术", "工程造价与合同管理"),
    "economics": ("宏观经济形势分析", "企业财务分析与投资决策", "区域经济与产业政策", "营商环境优化专题",
                  "数字化转型与企业管理"),
    "accounting": ("政府会计制度实务", "企业会计准则最新变化解读", "管理会计应用指引", "增值税与个人所得税政策解读",
                   "内部控制与风险管理", "审计实务与案例分析", "财务共享与智能财务"),
    "agriculture": ("山地特色农业技术推广", "茶叶标准化种植与加工", "中药材规范化种植", "农产品质量安全检测",
                    "稻鱼鸭综合种养技术", "植物病虫害绿色防控"),
    "statistics": ("统计法律法规与统计督察", "统计调查方法与数据质量控制", "大数据与统计分析方法",
                   "国民经济核算基础", "统计数据分析与可视化"),
}
PROFESSIONAL_PROVIDERS = {
    "health": ("中国继续医学教育网", "贵州省卫生健康委继续医学教育中心", "贵州医科大学继续教育学院"),
    "school_teacher": ("国家中小学智慧教育平台", "贵州省中小学教师继续教育平台", "黔东南州教育科学研究所"),
    "engineering": ("中国建设教育协会", "贵州省建设行业继续教育中心", "贵州大学继续教育学院"),
    "economics": ("中国人事科学研究院", "贵州财经大学继续教育学院"),
    "accounting": ("财政部会计资格评价中心", "贵州省会计人员继续教育平台", "贵州财经大学继续教育学院"),
    "agriculture": ("全国农业科教云平台", "贵州省农业科学院", "贵州大学农学院"),
    "statistics": ("国家统计局统计教育培训中心", "贵州省统计局培训中心"),
}
HUBEI_PROFESSIONAL_PROVIDERS = ("湖北省建设教育协会", "武汉大学继续教育学院")

RETURN_REASONS = ("证书照片不清晰，请重新上传", "学时数与证书不一致，请核对后重新提交", "培训完成日期填写有误",
                  "缺少培训机构盖章的学时证明")
REVOKE_REASONS = ("培训机构未备案，学时无效", "同一课程重复登记，予以撤销", "经核查证书系伪造，学时无效")

LEVELS = ("junior", "intermediate", "senior_associate", "senior_full")
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior_associate": "副高级", "senior_full": "正高级"}
STATUS_ORDER = ("draft", "submitted", "unit_approved", "registered", "returned", "withdrawn", "revoked")
ROLE_ZH = words.ROLE
KIND_ZH = {"provider": "培训机构", "review_system": "评审系统", "hr_system": "人事系统"}

# Hours of one course, in half-hours.
PUBLIC_SIZES = (12, 16, 20, 24, 25, 30, 32)
PROFESSIONAL_SIZES = (8, 12, 15, 16, 20, 24, 32, 40, 48, 60)
# (public hours, professional hours) a person aims for in a whole year; 90 h a year meets the requirement.
DILIGENCE = {"high": ((30, 40), (60, 80)), "medium": ((22, 32), (48, 66)), "low": ((8, 22), (16, 40))}

# Gaps in days before each step (lo, hi).
GAPS = {"create": (0, 12), "report": (1, 6), "import": (0, 2), "hr_import": (5, 25), "submit": (0, 3),
        "resubmit": (1, 10), "approve": (1, 9), "register": (2, 15), "return": (1, 7), "withdraw": (0, 6),
        "revoke": (20, 90)}

# Path kinds of self-logged records and their weights: (kind, older years, last year, this year).
SELF_PATHS = (
    ("registered", 89, 82, 40), ("registered_after_return", 6, 6, 5), ("revoked", 1, 1, 0),
    ("withdrawn", 2, 2, 5), ("returned", 1, 3, 10), ("draft", 1, 2, 15), ("submitted", 0, 2, 13),
    ("unit_approved", 0, 2, 12),
)
PROVIDER_PATHS = (("registered", 99, 90, 55), ("revoked", 1, 0, 0), ("submitted", 0, 5, 25),
                  ("unit_approved", 0, 5, 20))


# ---------------------------------------------------------------------------------------------- the plan


@dataclass
class Person:
    index: int
    unit: DemoUnit
    national_id: str
    name: str
    series: str
    periods: list[tuple[int, str, str, str, str]]  # (from_year, level, workplace, region, unit code)
    diligence: str
    username: str | None = None


@dataclass
class Step:
    action: str
    actor: tuple  # (actor_kind, actor ref for the id, actor_name, role, scope)
    to_status: str
    reason: str | None = None
    gap: str = ""
    at: datetime | None = None


@dataclass
class Record:
    id: uuid.UUID
    person: Person
    year: int
    category: str
    half_hours: int
    course_title: str
    course_code: str | None
    provider: str
    completed_on: date
    region_earned: str | None
    source: str
    external_id: str | None
    steps: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.steps[-1].to_status


@dataclass
class Plan:
    persons: list[Person]
    records: list[Record]
    exemption_person: Person


def _level_at_start(rng: random.Random, age: int) -> int:
    if age < 30:
        return 0
    if age < 38:
        return rng.choice((1, 1, 1, 0))
    if age < 47:
        return rng.choice((2, 2, 1))
    return rng.choice((3, 2, 2))


def _persons(rng: random.Random, current_year: int) -> list[Person]:
    persons: list[Person] = []
    used_names = {p[2] for p in PROFESSIONALS}
    sequences = rng.sample(range(5, 499), sum(n for u in UNITS for _, n in u.staff))
    fixed = {u: (username, name, male, series) for u, username, name, male, series in PROFESSIONALS}
    for u_index, unit in enumerate(UNITS):
        series_list = [s for s, n in unit.staff for _ in range(n)]
        for position, series in enumerate(series_list):
            index = len(persons)
            username = None
            if position == 0 and u_index in fixed:
                username, name, male, series = fixed[u_index]
            else:
                male = rng.random() < 0.5
                while True:
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
                    if name not in used_names:
                        break
            used_names.add(name)
            # The hospital's second person is the senior doctor with a green-channel exemption.
            birth_year = 1967 if (u_index == 0 and position == 1) else rng.randint(1965, 1998)
            birth = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
            national_id = make_national_id(unit.region, birth, sequences[index] * 2 + (1 if male else 0))
            start = min(FIRST_YEAR, max(2008, birth_year + 23))
            level = 3 if (u_index == 0 and position == 1) else _level_at_start(rng, FIRST_YEAR - birth_year)
            if unit.kind == "private":
                workplace = "private"
            elif unit.region == "522601" and rng.random() < 0.3:
                workplace = "grassroots"
            else:
                workplace = "standard"
            periods = [(start, LEVELS[level], workplace, unit.region, unit.code)]
            if level < 3 and rng.random() < 0.45:
                promoted = rng.randint(2020, min(current_year, 2025))
                periods.append((promoted, LEVELS[level + 1], workplace, unit.region, unit.code))
            diligence = rng.choices(("high", "medium", "low"), (55, 30, 15))[0]
            persons.append(Person(index, unit, national_id, name, series, periods, diligence, username))
    return persons


def _instant(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)), CST)


class _Actors:
    """Who does which step for a person."""

    def __init__(self, clients: dict[str, str]) -> None:
        self.clients = clients

    def owner(self, p: Person) -> tuple:
        return ("user", p.username, p.name, "professional", "")

    def unit(self, p: Person) -> tuple:
        if p.unit.reviewer is None:
            return ("user", None, HUBEI_UNIT_REVIEWER, "unit_reviewer", p.unit.code)
        return ("user", p.unit.reviewer[0], p.unit.reviewer[1], "unit_reviewer", p.unit.code)

    def registrar(self, p: Person) -> tuple:
        if not p.unit.region.startswith("52"):
            return ("user", None, HUBEI_REGISTRAR[0], "hr_reviewer", HUBEI_REGISTRAR[1])
        if p.series == "health":
            username, display, role, prefix = REGION_REVIEWERS[2]
        elif p.unit.region.startswith("5226"):
            username, display, role, prefix = REGION_REVIEWERS[1]
        else:
            username, display, role, prefix = REGION_REVIEWERS[0]
        return ("user", username, display, role, prefix)

    def client(self, kind: str) -> tuple:
        return ("client", kind, self.clients[kind], kind, ",".join(CLIENT_REGIONS))


def _self_steps(rng: random.Random, kind: str, p: Person, a: _Actors) -> list[Step]:
    create = Step("create", a.owner(p), "draft", gap="create")
    submit = Step("submit", a.owner(p), "submitted", gap="submit")
    approve = Step("approve", a.unit(p), "unit_approved", gap="approve")
    register = Step("register", a.registrar(p), "registered", gap="register")
    if kind == "draft":
        return [create]
    if kind == "submitted":
        return [create, submit]
    if kind == "unit_approved":
        return [create, submit, approve]
    if kind == "registered":
        return [create, submit, approve, register]
    if kind == "revoked":
        return [create, submit, approve, register,
                Step("revoke", a.registrar(p), "revoked", rng.choice(REVOKE_REASONS), "revoke")]
    if kind == "withdrawn":
        before = [create, submit] if rng.random() < 0.6 else [create]
        return [*before, Step("withdraw", a.owner(p), "withdrawn", gap="withdraw")]
    reason = rng.choice(RETURN_REASONS)
    if rng.random() < 0.7:  # the unit sends it back
        returned = [create, submit, Step("return", a.unit(p), "returned", reason, "return")]
    else:  # HR sends it back after the unit approved it
        returned = [create, submit, approve, Step("return", a.registrar(p), "returned", reason, "return")]
    if kind == "returned":
        return returned
    # registered_after_return: fixed and submitted again
    return [*returned, Step("submit", a.owner(p), "submitted", gap="resubmit"),
            Step("approve", a.unit(p), "unit_approved", gap="approve"),
            Step("register", a.registrar(p), "registered", gap="register")]


def _provider_steps(rng: random.Random, kind: str, p: Person, a: _Actors) -> list[Step]:
    steps = _self_steps(rng, kind, p, a)[1:]  # the provider reports it: no draft
    steps[0] = Step("create", a.client("provider"), "submitted", gap="report")
    return steps


def _time_steps(rng: random.Random, record: Record, now: datetime) -> None:
    """Give each step its instant; drop the steps that would lie after now (the record waits there)."""
    at = _instant(rng, record.completed_on + timedelta(days=rng.randint(*GAPS[record.steps[0].gap])))
    if at > now:  # completed_on is at most yesterday, so its evening has passed
        at = datetime.combine(record.completed_on, time(19, rng.randint(0, 59)), CST)
    record.steps[0].at = at
    kept = [record.steps[0]]
    for step in record.steps[1:]:
        candidate = _instant(rng, at.date() + timedelta(days=rng.randint(*GAPS[step.gap])))
        if candidate <= at:
            candidate = at + timedelta(minutes=rng.randint(5, 120))
        if candidate > now:
            break
        step.at = at = candidate
        kept.append(step)
    record.steps = kept


def _weighted(rng: random.Random, table: tuple, column: int) -> str:
    return rng.choices([row[0] for row in table], [row[column] for row in table])[0]


def _split(rng: random.Random, target_half_hours: int, sizes: tuple[int, ...], limit: int) -> list[int]:
    """Course sizes adding up to about the target (at least one course)."""
    parts: list[int] = []
    total = 0
    while total < target_half_hours and len(parts) < limit:
        size = rng.choice(sizes)
        parts.append(size)
        total += size
    return parts or [rng.choice(sizes)]


def build_plan(rng: random.Random, now: datetime, clients: dict[str, str]) -> Plan:
    """Everything the demo holds, without ids: pure, deterministic for a given rng and day."""
    last_day = now.astimezone(timezone.utc).date() - timedelta(days=1)  # completed_on never after yesterday
    current_year = now.astimezone(timezone.utc).year
    persons = _persons(rng, current_year)
    exemption_person = persons[1]
    actors = _Actors(clients)
    records: list[Record] = []
    external_seq = Counter[int]()

    def record(p: Person, year: int, category: str, half_hours: int, title: str, provider: str, source: str,
               course_code: str | None = None, day_range: tuple[date, date] | None = None) -> Record:
        first, last = day_range or (date(year, 1, 1), min(date(year, 12, 31), last_day))
        completed_on = first + timedelta(days=rng.randint(0, (last - first).days))
        external_id = None
        if source == "provider":
            external_seq[year] += rng.randint(1, 40)
            external_id = f"BASE-{year}-{100 + external_seq[year]:06d}"
        region_earned = p.unit.region if source in ("self", "provider") else None
        r = Record(uuid.UUID(int=rng.getrandbits(128), version=4), p, year, category, half_hours, title,
                   course_code, provider, completed_on, region_earned, source, external_id)
        recent = 1 if year < current_year - 1 else (2 if year == current_year - 1 else 3)
        if source == "self":
            r.steps = _self_steps(rng, _weighted(rng, SELF_PATHS, recent), p, actors)
        elif source == "provider":
            r.steps = _provider_steps(rng, _weighted(rng, PROVIDER_PATHS, recent), p, actors)
        elif source == "platform":
            r.steps = [Step("create", PLATFORM, "registered", gap="import")]
        else:  # hr
            r.steps = [Step("create", actors.client("hr_system"), "registered", gap="hr_import")]
        _time_steps(rng, r, now)
        records.append(r)
        return r

    for p in persons:
        guizhou = p.unit.region.startswith("52")
        for year in range(FIRST_YEAR, current_year + 1):
            if date(year, 1, 1) > last_day:
                continue
            share = 1.0 if year < current_year else ((last_day - date(year, 1, 1)).days + 1) / 365
            (pub_lo, pub_hi), (pro_lo, pro_hi) = DILIGENCE[p.diligence]
            if p is exemption_person and year in range(EXEMPTION[0], EXEMPTION[1] + 1):
                share *= 0.3  # busy with the talent programme: the exemption is what keeps them compliant

            # Public courses (公需科目): the platform's 30 h package, or a few courses.
            if guizhou and year >= 2020 and rng.random() < 0.45 and (year < current_year or share > 0.75):
                theme = PLATFORM_THEMES.get(year, "年度公需科目")
                record(p, year, "public", 60, f"{year}年度公需科目：{theme}", PLATFORM_PROVIDER, "platform",
                       f"GX-{year}", (date(year, 9, 1), min(date(year, 12, 31), last_day)))
            else:
                target = round(rng.randint(pub_lo, pub_hi) * 2 * share)
                sizes = _split(rng, target, PUBLIC_SIZES, 3)
                for title, size in zip(rng.sample(PUBLIC_COURSES, len(sizes)), sizes):
                    if not guizhou:
                        record(p, year, "public", size, title, HUBEI_PUBLIC_PROVIDER, "self")
                        continue
                    roll = rng.random()
                    if roll < 0.35:
                        record(p, year, "public", size, title, PROVIDER_BASE, "provider",
                               f"JD-{year}-{rng.randint(1, 300):03d}")
                    elif roll < 0.45 or (year == FIRST_YEAR and roll < 0.7):
                        record(p, year, "public", size, title, p.unit.name, "hr")
                    else:
                        record(p, year, "public", size, title, rng.choice(PUBLIC_PROVIDERS), "self")

            # Professional courses (专业科目), by series.
            courses = PROFESSIONAL_COURSES[p.series]
            target = round(rng.randint(pro_lo, pro_hi) * 2 * share)
            sizes = _split(rng, target, PROFESSIONAL_SIZES, len(courses))
            for title, size in zip(rng.sample(courses, len(sizes)), sizes):
                if not guizhou:
                    record(p, year, "professional", size, title, rng.choice(HUBEI_PROFESSIONAL_PROVIDERS), "self")
                    continue
                roll = rng.random()
                if roll < 0.25:
                    record(p, year, "professional", size, title, PROVIDER_BASE, "provider",
                           f"JD-{year}-{rng.randint(1, 300):03d}")
                elif roll < 0.35 or (year == FIRST_YEAR and roll < 0.6):
                    record(p, year, "professional", size, f"单位组织培训：{title}", p.unit.name, "hr")
                else:
                    record(p, year, "professional", size, title, rng.choice(PROFESSIONAL_PROVIDERS[p.series]), "self")

    # Every status must show up somewhere: give a missing one to a registered self record two years back,
    # whose whole history certainly lies in the past.
    present = {r.status for r in records}
    candidates = [r for r in records if r.source == "self" and r.year == current_year - 2 and r.status == "registered"
                  and r.person.unit.reviewer is not None]
    for status in STATUS_ORDER:
        if status not in present and candidates:
            r = candidates.pop(rng.randrange(len(candidates)))
            r.steps = _self_steps(rng, status, r.person, actors)
            _time_steps(rng, r, now)
            present.add(r.status)
    return Plan(persons, records, exemption_person)


# ---------------------------------------------------------------------------------------------- loading


def _users(persons: list[Person]) -> list[tuple[str, str, str, str | None, str | None, str | None]]:
    """(username, display name, role, national ID of the person, unit code, region prefix) of every demo user."""
    users: list[tuple[str, str, str, str | None, str | None, str | None]] = [(*ADMIN, "admin", None, None, None)]
    users += [(u.reviewer[0], u.reviewer[1], "unit_reviewer", None, u.code, None) for u in UNITS if u.reviewer]
    users += [(username, display, role, None, None, prefix) for username, display, role, prefix in REGION_REVIEWERS]
    users += [(p.username, p.name, "professional", p.national_id, None, None) for p in persons if p.username]
    return users


async def load_demo(conn: asyncpg.Connection) -> str | None:
    """Load the demo data in one transaction and return the report of its credentials; None if already loaded."""
    async with conn.transaction():
        await conn.execute(LOCK_DEMO, LOCK_KEY)
        if await conn.fetchval(MARKER_EXISTS, DEMO_MARKER_UNIT):
            return None

        now = datetime.now(timezone.utc)
        plan = build_plan(random.Random(SEED), now, {kind: name for kind, name in CLIENTS})
        users = _users(plan.persons)
        taken = await conn.fetchval(TAKEN_USERNAMES, [u[0] for u in users])
        if taken:
            raise Conflict(f"cannot load the demo: usernames already in use: {', '.join(taken)}")
        if await conn.fetchval(TAKEN_NATIONAL_IDS, [p.national_id for p in plan.persons]):
            raise Conflict("cannot load the demo: some of its ID numbers are already in the registry")

        await conn.execute(INSERT_UNITS, [u.code for u in UNITS], [u.name for u in UNITS], [u.kind for u in UNITS],
                           [u.region for u in UNITS], [u.department for u in UNITS])

        tokens = {kind: new_token() for kind, _ in CLIENTS}
        rows = await conn.fetch(INSERT_CLIENTS, [name for _, name in CLIENTS], [kind for kind, _ in CLIENTS],
                                [token_hash(tokens[kind]) for kind, _ in CLIENTS],
                                [tokens[kind][:7] for kind, _ in CLIENTS], CLIENT_REGIONS)
        client_ids = {r["kind"]: r["id"] for r in rows}

        rows = await conn.fetch(INSERT_PERSONS, [p.national_id for p in plan.persons],
                                [p.name for p in plan.persons], [p.series for p in plan.persons])
        by_nid = {r["national_id"]: r["id"] for r in rows}
        person_ids = {p.index: by_nid[p.national_id] for p in plan.persons}
        periods = [(person_ids[p.index], *period) for p in plan.persons for period in p.periods]
        await conn.execute(INSERT_PERIODS, *(list(column) for column in zip(*periods)))
        await conn.execute(
            INSERT_HISTORY, [person_ids[p.index] for p in plan.persons],
            [json.dumps({"name": p.name, "series": p.series, "periods": [
                {"from_year": y, "level": lv, "workplace": w, "region": rg, "unit": u} for y, lv, w, rg, u in p.periods
            ]}, ensure_ascii=False) for p in plan.persons], DEMO_ACTOR)
        from_year, to_year, reason, note = EXEMPTION
        await conn.execute(INSERT_EXEMPTION, person_ids[plan.exemption_person.index], from_year, to_year, reason,
                           note, DEMO_ACTOR)

        password_hash = hash_password(DEMO_PASSWORD)  # one hash for the shared password keeps the load fast
        rows = await conn.fetch(
            INSERT_USERS, [u[0] for u in users], [u[1] for u in users], [u[2] for u in users],
            [by_nid[u[3]] if u[3] else None for u in users], [u[4] for u in users], [u[5] for u in users],
            password_hash)
        user_ids = {r["username"]: r["id"] for r in rows}

        await _insert_records(conn, plan.records, person_ids, user_ids, client_ids)
        await _late_official_copies(conn, plan, client_ids["hr_system"])

    return _report(plan, users, tokens)


async def _insert_records(conn: asyncpg.Connection, records: list[Record], person_ids: dict[int, int],
                          user_ids: dict[str, int], client_ids: dict[str, int]) -> None:
    def actor_id(actor: tuple) -> int | None:
        kind, ref = actor[0], actor[1]
        if ref is None:
            return None
        return user_ids[ref] if kind == "user" else client_ids[ref]

    def last_at(r: Record, to_status: str) -> datetime | None:
        ats = [s.at for s in r.steps if s.to_status == to_status]
        return ats[-1] if ats else None

    columns: list[list] = [[] for _ in range(21)]
    events: list[PastEvent] = []
    for r in records:
        status = r.status
        submitted_at = last_at(r, "submitted") or (r.steps[0].at if r.source in ("platform", "hr") else None)
        reason = r.steps[-1].reason if status in ("returned", "revoked") else None
        row = (r.id, person_ids[r.person.index], r.year, r.category, r.half_hours, r.course_title, r.course_code,
               r.provider, r.completed_on, r.region_earned, r.source,
               client_ids["provider"] if r.source == "provider" else None, r.external_id, status, reason,
               user_ids.get(r.person.username) if r.source == "self" and r.person.username else None,
               r.steps[0].at, r.steps[-1].at, submitted_at, last_at(r, "registered"), last_at(r, "revoked"))
        for column, value in zip(columns, row):
            column.append(value)
        before = None
        for s in r.steps:
            kind, _, name, role, scope = s.actor
            actor = Actor(kind, actor_id(s.actor), name, role, scope)
            events.append(PastEvent(r.id, actor, s.action, before, s.to_status, s.reason, s.at))
            before = s.to_status
    await conn.execute(INSERT_RECORDS, *columns)
    # The rows are complete (routes included) before their histories are written: each event carries
    # the hash of the row as it stands, and the last one must match it.
    await conn.execute(ROUTE_WAITING)
    await transitions.write_events(conn, events)
    await conn.execute(INSERT_REVOCATION_ENTRIES)


LATE_COPIES = 3


async def _late_official_copies(conn: asyncpg.Connection, plan: Plan, hr_system_id: int) -> None:
    """The HR system sends, late, courses some people had logged themselves, registered on arrival: the real
    intake supersedes the own records still waiting, and flags for a reviewer those registered already."""
    from ce_service.auth.models import ApiClient
    from ce_service.intake.service import HR, accept_batch

    # Not the health series: its HR-sent records wait for the health department instead of registering.
    own = [r for r in plan.records if r.source == "self" and r.person.series != "health"]
    waiting = [r for r in own if r.status in ("submitted", "unit_approved")][:LATE_COPIES]
    registered = [r for r in own if r.status == "registered" and r.person.username][-1:]
    hr_system = ApiClient(hr_system_id, HR_SYSTEM_NAME, "hr_system", CLIENT_REGIONS)
    raws = [{"external_id": f"HR-{r.year}-9{i:05d}", "national_id": r.person.national_id, "name": r.person.name,
             "year": r.year, "category": r.category, "hours": r.half_hours / 2, "course_title": r.course_title,
             "course_code": r.course_code, "completed_on": r.completed_on.isoformat(),
             "region_earned": r.region_earned} for i, r in enumerate(waiting + registered)]
    if raws:
        await accept_batch(conn, hr_system, raws, HR, max_hours=200)


def _report(plan: Plan, users: list[tuple], tokens: dict[str, str]) -> str:
    statuses = Counter(r.status for r in plan.records)
    events = sum(len(r.steps) for r in plan.records)
    nid_of = {p.national_id: p for p in plan.persons}
    lines = [
        "ce-service 演示数据已载入 / demo data loaded",
        "",
        "!! 警告：以下均为演示凭据，仅供演示和测试，切勿用于生产环境 !!",
        "!! WARNING: these are DEMO credentials, for demonstration and testing only; never use them in production !!",
        "",
        f"统一演示密码 / password of every demo user: {DEMO_PASSWORD}",
        "",
        "用户 / users (用户名 username · 角色 role · 范围 scope · 显示名 display name):",
    ]
    for username, display, role, nid, unit_code, prefix in users:
        scope = unit_code or prefix or ("全部" if role == "admin" else "本人")
        line = f"  {username:<16} {role:<16} {scope:<18} {display}（{ROLE_ZH[role]}）"
        if nid:
            p = nid_of[nid]
            level = LEVEL_ZH[p.periods[-1][1]]
            line += f" · {p.unit.name} · {level} · 也可用身份证号 {nid} 登录 / can also sign in with this ID number"
        lines.append(line)
    lines += ["", "API 客户端 / API clients (Bearer 令牌只显示这一次 / tokens are shown only this once):"]
    for kind, name in CLIENTS:
        lines.append(f"  {kind:<14} {name}（{KIND_ZH[kind]}，地区 {','.join(CLIENT_REGIONS)}）")
        lines.append(f"      Authorization: Bearer {tokens[kind]}")
    by_status = " · ".join(f"{s} {statuses[s]}" for s in STATUS_ORDER)
    e = plan.exemption_person
    lines += [
        "",
        "数据概况 / summary:",
        f"  单位 units {len(UNITS)} · 人员 persons {len(plan.persons)} · 学时记录 records {len(plan.records)}"
        f" · 记录事件 record events {events}",
        f"  记录状态 / records by status: {by_status}",
        f"  绿色通道 / green channel: {e.name}（{e.unit.name}）{EXEMPTION[0]}–{EXEMPTION[1]} 年 {EXEMPTION[3]}",
        f"  标记 / marker: 单位 {UNITS[0].name} {DEMO_MARKER_UNIT} 存在即视为已载入 (present = already loaded)",
    ]
    return "\n".join(lines)
