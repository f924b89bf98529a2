"""Every main screen (sign-in; the professional's home, year, record, record form, a returned record's form and
help; the unit's and HR's queue and record; the integrity file; the administrator's page), as each kind of user
sees it on a phone (360×740) and a desk (1280×800), checked by a tool:
axe-core (vendored in pwa/static/vendor/axe.min.js, injected here only, never loaded by the app's pages) must find
no violation of impact "serious" or "critical", and non-text contrast (WCAG 1.4.11) is computed in the page:

- the focus ring: the page is walked with Tab, and the outline of each focused control must contrast at least
  3:1 with the background behind the control (the nearest ancestor's painted background);
- the edges of inputs, cards, rows, choices and buttons: the border, or the control's own background where it
  is painted, must contrast at least 3:1 with the background behind it.

Every screen is also saved as a11y-phone-NAME.png and a11y-desk-NAME.png under test-artifacts/screens. All
problems of all screens are gathered and listed together in the failure message.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
from playwright.async_api import Page

from tests.builders import UNIT, national_id, person, record, user
from tests.web.browsing import DESK, PHONE, YEAR, api_session, shot, sign_in, submitted

AXE = (Path(__file__).parents[2] / "pwa" / "static" / "vendor" / "axe.min.js").read_text("utf-8")
DESK_800 = {**DESK, "viewport": {"width": 1280, "height": 800}}

# Colours as the page computes them, relative luminance and contrast ratio (WCAG 2), and the background a box
# is painted on: the nearest ancestor with a painted background, mixed over white when translucent.
COLOUR = """
const rgba = (text) => { const m = text.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const over = (c, base) => c.slice(0, 3).map((v, i) => v * c[3] + base[i] * (1 - c[3]));
const behind = (el) => {
  for (let e = el.parentElement; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) return over(c, [255, 255, 255]);
  }
  return [255, 255, 255];
};
const label = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
  ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || el.name || '').replace(/\\s+/g, ' ').trim().slice(0, 16) + '"';
"""

EDGES = "() => {" + COLOUR + """
  const weak = [];
  const boxes = document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea,'
                                          + ' .card, .row, .choice, button, .button');
  for (const el of boxes) {
    if (el.offsetParent === null) continue;
    const s = getComputedStyle(el);
    if (s.borderTopStyle === 'none' || parseFloat(s.borderTopWidth) < 1) continue;   // text-like buttons (.link)
    const back = behind(el), own = rgba(s.backgroundColor);
    const edge = Math.max(ratio(over(rgba(s.borderTopColor), back), back), own[3] > 0 ? ratio(over(own, back), back) : 0);
    if (edge < 3) weak.push(label(el) + ' edge ' + edge.toFixed(2) + ':1 (' + s.borderTopColor + ' on rgb(' + back.map(Math.round) + '))');
  }
  return weak;
}"""

FOCUSED = "() => {" + COLOUR + """
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const key = label(el) + '@' + Math.round(el.getBoundingClientRect().top + scrollY);
  if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) return [key, 'no visible focus ring'];
  const back = behind(el), ring = over(rgba(s.outlineColor), back), r = ratio(ring, back);
  return [key, r >= 3 ? null : 'focus ring ' + r.toFixed(2) + ':1 (' + s.outlineColor + ' on rgb(' + back.map(Math.round) + '))'];
}"""

SERIOUS = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.impact + ' ' + v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', '));
}"""


async def audit(page: Page, name: str) -> list[str]:
    """axe's serious and critical violations, weak edges and weak focus rings of the page, each prefixed by `name`."""
    problems = []
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE)    # evaluated by the driver: the page's CSP (script-src 'self') does not apply
    problems += await page.evaluate(SERIOUS)
    problems += await page.evaluate(EDGES)
    seen = set()
    await page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(80):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None or focused[0] in seen:
            break
        seen.add(focused[0])
        if focused[1]:
            problems.append(f"{focused[0]}: {focused[1]}")
    assert seen, f"{name}: Tab reaches no control"
    return [f"{name}: {p}" for p in problems]


async def visit(browser, base: str, username: str | None, screens: list[tuple[str, str]]) -> list[str]:
    """Each screen at phone and desk size: audited, and saved as a11y-phone-NAME.png / a11y-desk-NAME.png."""
    problems = []
    for size, options in (("phone", PHONE), ("desk", DESK_800)):
        context = await browser.new_context(**options)
        page = await context.new_page()
        if username:
            await sign_in(page, base, username)
        for name, path in screens:
            response = await page.goto(f"{base}{path}")
            await page.wait_for_load_state("networkidle")
            if response is None or response.status != 200:
                problems.append(f"{size} {name}: {path} answered {response and response.status}")
                continue
            await shot(page, f"a11y-{size}-{name}")     # before the Tab walk scrolls the page
            problems += await audit(page, f"{size} {name}")
        await context.close()
    return problems


async def test_every_main_screen_passes_axe_and_non_text_contrast(live_server, browser, db, tmp_path):
    base = live_server
    await db.execute("insert into units (credit_code, name, kind, region) values ($1, '凯里市建筑设计院', 'enterprise',"
                     " '522601')", UNIT)
    pid = await person(db, national_id(11), name="刘晓燕", periods=[(2015, "intermediate", "standard", "522601", UNIT)])
    await user(db, "liuxiaoyan", "professional", person_id=pid)
    await user(db, "unitboss", "unit_reviewer", unit_code=UNIT)
    await user(db, "hrboss", "hr_reviewer", region_prefix="52")
    await user(db, "admin", "admin")
    await record(db, pid, YEAR, "public", 24)
    await record(db, pid, YEAR, "professional", 30)
    at = datetime(YEAR, 6, 1, tzinfo=timezone.utc)
    returned = await record(db, pid, YEAR, "professional", 4, history=[("draft", at), ("submitted", at), ("returned", at)])
    await db.execute("update records set status_reason = '证书照片不清晰，请重新上传' where id = $1", returned)

    # Two submitted records with a certificate photo, one of them approved by the unit (so HR has it).
    ids = await submitted(base, tmp_path, "liuxiaoyan", ("建筑信息模型（BIM）技术应用", "装配式混凝土结构施工与质量验收"))
    async with httpx.AsyncClient(base_url=base) as client:
        headers = await api_session(client, "unitboss")
        assert (await client.post(f"/api/v1/review/records/{ids[1]}/approve", headers=headers)).status_code == 200

    problems = await visit(browser, base, None, [("login", "/login")])
    problems += await visit(browser, base, "liuxiaoyan", [
        ("home", "/"), ("year", f"/years/{YEAR}"), ("record", f"/records/{ids[0]}"), ("record-form", "/records/new"),
        ("record-returned-edit", f"/records/{returned}/edit"), ("help", "/help")])
    problems += await visit(browser, base, "unitboss", [("review-queue", "/review"),
                                                        ("review-record", f"/review/records/{ids[0]}")])
    problems += await visit(browser, base, "hrboss", [("hr-review-queue", "/review"),
                                                      ("hr-review-record", f"/review/records/{ids[1]}"),
                                                      ("integrity-file", f"/review/persons/{national_id(11)}/integrity")])
    problems += await visit(browser, base, "admin", [("admin", "/admin")])
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)


async def test_the_audit_finds_what_it_looks_for(browser):
    """The checks themselves: a page with a missing alt text, a faint input border and a faint focus ring is
    faulted on each, and the same page with them fixed is not."""
    context = await browser.new_context(**DESK_800)
    page = await context.new_page()
    bad = """<html lang="zh-CN"><head><title>测试</title><style>body { background: #f6f7f9; }
      input { border: 1px solid #d4d9df; } :focus-visible { outline: 3px solid #f2a900; }</style></head>
      <body><main><h1>测试</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
      <label for="a">姓名</label><input id="a"></main></body></html>"""
    await page.set_content(bad)
    found = "\n".join(await audit(page, "bad"))
    assert "image-alt" in found and "input#a" in found and "edge 1.32:1" in found and "focus ring 1.87:1" in found
    good = bad.replace("#d4d9df", "#79838e").replace("#f2a900", "#a35200").replace('width="20"', 'alt="证书" width="20"')
    await page.set_content(good)
    assert await audit(page, "good") == []
    await context.close()
