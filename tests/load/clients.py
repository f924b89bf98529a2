"""The load suite's clients: processes that run the mix against the service and report every answer."""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import random
import time
import uuid

import httpx

from tests.benchmarks.common import percentile

PASSWORD = "load-test-password"


def client_main(index: int, base: str, seconds: float, tokens: dict, people: list[tuple[str, str]], users: list[str],
                tasks: int, out: multiprocessing.Queue) -> None:
    """One client process: `tasks` concurrent loops of the mix for `seconds`; puts its results on `out`."""
    out.put(asyncio.run(_client(index, base, seconds, tokens, people, users, tasks)))


async def _client(index: int, base: str, seconds: float, tokens: dict, people: list[str], users: list[str],
                  tasks: int) -> dict:
    results = {"samples": [], "acked_pushes": [], "sent_pushes": [], "acked_keys": [], "sent_keys": [],
               "push_results": {}, "push_rejections": []}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=tasks * 2)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        await asyncio.gather(*(_loop(http, index, t, deadline, tokens, people, users[index * tasks + t], results)
                               for t in range(tasks)))
    return results


async def _call(http: httpx.AsyncClient, results: dict, kind: str, method: str, url: str, **kw) -> httpx.Response | None:
    started = time.monotonic()
    try:
        response = await http.request(method, url, **kw)
    except httpx.TimeoutException:
        results["samples"].append((kind, "timeout", time.monotonic() - started, time.time()))
        return None
    except httpx.TransportError as exc:
        results["samples"].append((kind, f"transport:{type(exc).__name__}", time.monotonic() - started, time.time()))
        return None
    results["samples"].append((kind, response.status_code, time.monotonic() - started, time.time()))
    return response


async def _loop(http, index, task, deadline, tokens, people, username, results) -> None:
    rng = random.Random(index * 100 + task)
    seq = 0
    session: dict | None = None
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.6:
            nid, _ = rng.choice(people)
            await _call(http, results, "compliance", "GET", f"/api/v1/compliance/{nid}?from_year=2021&to_year=2025",
                        headers={"Authorization": f"Bearer {tokens['review_system']}"})
        elif roll < 0.8:
            seq += 1
            # A new batch name each time (the fault phase must not resend the load phase's batches).
            batch_id = uuid.uuid4().hex[:16]
            batch = [{"external_id": f"L{batch_id}-{i}", "national_id": nid, "name": name,
                      "year": 2024, "category": "professional", "hours": 4, "course_title": "负载测试课程",
                      "completed_on": "2024-05-01"} for i, (nid, name) in enumerate(rng.sample(people, 20))]
            results["sent_pushes"] += [r["external_id"] for r in batch]
            for _ in range(8):   # a provider resends the same batch until it gets an answer
                response = await _call(http, results, "push", "POST", "/api/v1/provider/records",
                                       json={"records": batch}, headers={"Authorization": f"Bearer {tokens['provider']}"})
                if response is not None and response.status_code == 200:
                    for r in response.json()["results"]:
                        results["push_results"][r["status"]] = results["push_results"].get(r["status"], 0) + 1
                        if r["status"] in ("accepted", "duplicate"):
                            results["acked_pushes"].append(r["external_id"])
                        elif r["status"] == "rejected":
                            results["push_rejections"].append(r["errors"])
                    break
                await asyncio.sleep(1)
        else:
            if session is None:
                response = await _call(http, results, "login", "POST", "/api/v1/auth/login",
                                       json={"username": username, "password": PASSWORD})
                if response is None or response.status_code != 200:
                    await asyncio.sleep(0.5)
                    continue
                # The cookie is Secure (production settings) and this is plain http: send it by hand.
                session = {"X-CSRF-Token": response.json()["csrf_token"],
                           "Cookie": f"ce_session={response.cookies['ce_session']}"}
            key = str(uuid.uuid4())
            record = {"year": 2025, "category": "public", "hours": 2, "course_title": f"自学课程 {key[:8]}",
                      "completed_on": "2025-03-01", "provider": "负载测试机构", "client_key": key}
            results["sent_keys"].append(key)
            for _ in range(8):   # the phone's outbox: the same key again until an answer comes
                response = await _call(http, results, "self-record", "POST", "/api/v1/me/records", json=record,
                                       headers=session)
                if response is not None and response.status_code in (200, 201):
                    results["acked_keys"].append(key)
                    rid = response.json()["id"]
                    await _call(http, results, "self-submit", "POST", f"/api/v1/me/records/{rid}/submit",
                                headers=session)
                    break
                if response is not None and response.status_code in (401, 403):
                    session = None
                    break
                await asyncio.sleep(1)


def run_clients(base: str, seconds: float, count: int, tasks: int, tokens: dict, people: list[str],
                users: list[str]) -> dict:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [context.Process(target=client_main, args=(i, base, seconds, tokens, people, users, tasks, out))
                 for i in range(count)]
    for p in processes:
        p.start()
    lists = ("samples", "acked_pushes", "sent_pushes", "acked_keys", "sent_keys")
    merged: dict = {key: [] for key in lists}
    merged.update(push_results={}, push_rejections=[])
    received, deadline = 0, time.monotonic() + seconds + 120
    while received < len(processes):
        try:
            part = out.get(timeout=1)
        except queue.Empty:
            if time.monotonic() > deadline or not any(p.is_alive() for p in processes):
                raise RuntimeError("a client process died without reporting") from None
            continue
        received += 1
        for key in lists:
            merged[key] += part[key]
        for status, n in part["push_results"].items():
            merged["push_results"][status] = merged["push_results"].get(status, 0) + n
        merged["push_rejections"] += part["push_rejections"][:3]
    for p in processes:
        p.join()
    return merged


def summarize(samples: list, seconds: float) -> dict:
    """Per kind: requests/s, p50/p99 of the answered ones, 503s, and errors (anything else that is not 2xx)."""
    kinds: dict[str, dict] = {}
    for kind, status, latency, _at in samples:
        k = kinds.setdefault(kind, {"n": 0, "ok": [], "503": 0, "errors": {}})
        k["n"] += 1
        if isinstance(status, int) and status < 400:
            k["ok"].append(latency)
        elif status == 503:
            k["503"] += 1
        else:
            k["errors"][str(status)] = k["errors"].get(str(status), 0) + 1
    report = {}
    for kind, k in sorted(kinds.items()):
        ok = sorted(k["ok"])
        report[kind] = {"requests": k["n"], "per_second": round(k["n"] / seconds, 1),
                        "p50_ms": round(percentile(ok, 50) * 1000, 1) if ok else None,
                        "p99_ms": round(percentile(ok, 99) * 1000, 1) if ok else None,
                        "max_ms": round(max(ok) * 1000, 1) if ok else None,
                        "answered_503": k["503"], "errors": k["errors"]}
    total = sum(k["n"] for k in kinds.values())
    every_ok = sorted(x for k in kinds.values() for x in k["ok"])
    report["all"] = {"requests": total, "per_second": round(total / seconds, 1),
                     "p50_ms": round(percentile(every_ok, 50) * 1000, 1) if every_ok else None,
                     "p99_ms": round(percentile(every_ok, 99) * 1000, 1) if every_ok else None,
                     "answered_503": sum(k["503"] for k in kinds.values()),
                     "errors": sum(sum(k["errors"].values()) for k in kinds.values())}
    return report
