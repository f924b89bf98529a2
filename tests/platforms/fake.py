"""A training platform as the contract describes it, for respx: pages by offset cursor, scripted faults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx

from tests.builders import national_id

BASE = "https://platform.example.gov.cn"
TOKEN = "platform-token-123"


def result(n: int, year: int | None = None, **changes) -> dict:
    """A passed test result of person number n (national_id(n)), 30 public hours."""
    year = year or date.today().year - 1
    return {"result_id": f"R-{year}-{n}", "national_id": national_id(n), "name": f"人员{n}", "exam_year": year,
            "course_code": f"GX-{year}", "course_title": "公需科目专题", "passed": True, "score": 86,
            "credited_hours": 30, "finished_at": f"{year}-06-01T10:00:00+08:00", **changes}


class FakePlatform:
    """Serves `items` in pages; `faults` are answered first, one per request, before any page."""

    def __init__(self, items: list, page_size: int = 500) -> None:
        self.items = items
        self.page_size = page_size
        self.faults: list[httpx.Response | Exception | Callable[[], None]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            if isinstance(fault, httpx.Response):
                return fault
        since = request.url.params.get("since")
        start = int(since) if since is not None else 0
        limit = min(int(request.url.params["limit"]), self.page_size)
        end = min(start + limit, len(self.items))
        return httpx.Response(200, json={"items": self.items[start:end],
                                         "next_cursor": str(end) if end < len(self.items) else None})
