"""The nginx access log masks ID numbers: the map in deploy/nginx/ce-service.conf, applied as nginx applies it."""

from __future__ import annotations

import re
from pathlib import Path

CONF = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "ce-service.conf").read_text()


def masked(uri: str) -> str:
    """What $ce_logged_uri becomes for a request URI (PCRE named groups written the Python way)."""
    block = CONF[CONF.index("map $request_uri $ce_logged_uri"):]
    pattern, replacement = re.search(r'"~(.*?)"\s+"(.*?)";', block).groups()
    match = re.match(pattern.replace("(?<", "(?P<"), uri)
    if match is None:
        return uri
    return re.sub(r"\$(\w+)", lambda m: match.group(m.group(1)), replacement)


def test_id_numbers_are_masked_in_paths_and_queries():
    assert masked("/api/v1/compliance/522601198001011238?from_year=2019&to_year=2023") == (
        "/api/v1/compliance/5226**********1238?from_year=2019&to_year=2023")
    assert masked("/api/v1/persons/11010519491231002X/integrity") == "/api/v1/persons/1101**********002X/integrity"
    assert masked("/review/forms?national_id=522601198001011238") == "/review/forms?national_id=5226**********1238"
    assert masked("/api/v1/compliance/keys") == "/api/v1/compliance/keys"


def test_every_spelling_of_metrics_is_for_the_monitoring_network():
    location = re.search(r"location ~\* (\S+) \{", CONF[CONF.index("Metrics for the monitoring"):]).group(1)
    for path in ("/metrics", "/metrics/", "//metrics", "/METRICS", "/metrics/x"):
        assert re.match(location, path, re.IGNORECASE), path
    assert not re.match(location, "/metricsx", re.IGNORECASE)
    assert "access_log /var/log/nginx/access.log ce_masked;" in CONF
