"""One catalogue of words: a waiting record is said by the office it waits for, the same on every page and in the
PDF; a person is offered only the moves the server would allow."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

from pypdf import PdfReader

from ce_service import words
from tests.builders import UNIT, national_id, person, record, sign_in, user, web_sign_in

YEAR = date.today().year - 1


async def waiting(db, pid: int, title: str, source: str, route: list[str], step: int = 0) -> str:
    """A record waiting at route[step], as submitting it would leave it."""
    rid = await record(db, pid, YEAR, "professional", 8, source=source,
                       history=[("submitted", datetime(YEAR, 6, 1, tzinfo=timezone.utc))])
    await db.execute("update records set course_title = $2, route = $3, step = $4, submitted_at = now() where id = $1",
                     rid, title, route, step)
    return rid


async def test_a_nurses_provider_record_says_it_waits_for_the_health_department_not_her_unit(api, db):
    """Seed 001: "卫生系列继续教育学时(学分)需经卫生健康部门审核验印". A provider's record goes straight to the health
    department: her page must name it, or she phones a unit reviewer who cannot see it."""
    pid = await person(db, national_id(11), name="李护士", series="health",
                       periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "linurse", "professional", person_id=pid)
    await user(db, "healthboss", "health_reviewer", region_prefix="52")
    rid = await waiting(db, pid, "急危重症护理进展", "provider", ["health"])

    await web_sign_in(api, "linurse")
    page = (await api.get(f"/records/{rid}")).text
    assert "待卫生健康部门审核" in page and "待单位审核" not in page
    # Provider-sent hours are the provider's to correct: no 撤回, no 修改 that the server would refuse.
    assert f'hx-post="/records/{rid}/withdraw"' not in page and f'href="/records/{rid}/edit"' not in page
    assert "待卫生健康部门审核" in (await api.get(f"/years/{YEAR}")).text
    refused = await api.post(f"/api/v1/me/records/{rid}/withdraw", headers=await sign_in(api, "linurse"))
    assert refused.status_code == 409        # the server agrees: nothing was offered that it refuses

    await api.post("/logout")
    await web_sign_in(api, "healthboss")
    queue = (await api.get("/review")).text
    assert "急危重症护理进展" in queue and "待卫生健康部门审核" in queue and "待人社部门登记" not in queue


async def test_each_office_of_a_route_is_named_while_the_record_waits_there(api, db):
    pid = await person(db, national_id(12), name="赵工", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "zhaogong", "professional", person_id=pid)
    at_unit = await waiting(db, pid, "装配式建筑", "self", ["unit", "hr"], 0)
    at_hr = await waiting(db, pid, "BIM 应用", "self", ["unit", "hr"], 1)
    await db.execute("update records set status = 'unit_approved' where id = $1", at_hr)
    await web_sign_in(api, "zhaogong")
    assert "待单位审核" in (await api.get(f"/records/{at_unit}")).text
    page = (await api.get(f"/records/{at_hr}")).text
    assert "待人社部门审核" in page and "待单位审核" not in page
    # A self-logged record waiting at the unit may still be withdrawn; one the unit has passed may not.
    assert f'hx-post="/records/{at_unit}/withdraw"' in (await api.get(f"/records/{at_unit}")).text
    assert f'hx-post="/records/{at_hr}/withdraw"' not in page


async def test_the_registration_form_uses_the_same_words_as_the_pages(api, db):
    pid = await person(db, national_id(13), name="钱工", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "qiangong", "professional", person_id=pid)
    await waiting(db, pid, "工程测量", "self", ["unit", "hr"], 1)
    await db.execute("update records set status = 'unit_approved' where course_title = '工程测量'")
    await sign_in(api, "qiangong")
    form = await api.get("/api/v1/me/form", params={"year": YEAR})
    assert form.status_code == 200
    # Narrow columns wrap a cell over lines: read the text without line breaks.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(form.content)).pages).replace("\n", "")
    assert "待人社部门审核" in text and "本人登记" in text
    assert "待审核验印" not in text and "个人登记" not in text


def test_the_catalogue_names_every_waiting_office_and_falls_back_to_the_status():
    assert words.status_words("submitted", "unit") == "待单位审核"
    assert words.status_words("unit_approved", "health") == "待卫生健康部门审核"
    assert words.status_words("unit_approved", "agency") == "待人事代理机构审核"
    assert words.status_words("registered", None) == "已登记"
    assert words.status_words("submitted", None) == "审核中"      # a route without a step left: never a wrong office
