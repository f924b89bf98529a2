"""The nginx logs hold no full ID number: the access log masks them (the map in deploy/nginx/ce-service.conf, applied
as nginx applies it), and the real nginx, run with the site's configuration, writes none to any log even when the
service behind it is down."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import subprocess
import time
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


FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> int:
    """Status of a GET over TLS (the test certificate is self-signed)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    try:
        connection.request("GET", path, headers={"Referer": f"https://127.0.0.1:{port}{path}"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_no_log_of_the_real_nginx_holds_a_full_id_number_when_the_service_is_down(tmp_path):
    """Upstream errors are where nginx writes the request line (path, query, upstream URL, referrer) to its error
    log; the site's logs must hold no full ID number even then. nginx runs with the site's configuration as the
    deployment installs it, inside a main configuration that logs errors the way Debian's and the nginx image's do
    (so a site that did not set its own error log would leak into those)."""
    work = tmp_path
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", str(work / "privkey.pem"), "-out", str(work / "fullchain.pem")],
                   check=True, capture_output=True)
    https, plain, down = _free_port(), _free_port(), _free_port()   # `down`: nothing listens there
    (work / "upstream.conf").write_text(f"upstream ce_service {{\n    server 127.0.0.1:{down};\n}}\n")
    (work / "logs").mkdir()
    site = (CONF.replace("/etc/nginx/tls/", f"{work}/")
            .replace("/etc/nginx/ce-service-upstream.conf", str(work / "upstream.conf"))
            .replace("/opt/ce-service/pwa/", str(Path(__file__).resolve().parents[2] / "pwa") + "/")
            .replace("/var/log/nginx/", f"{work}/logs/")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{plain};")
            .replace("listen [::]:80;", ""))
    assert "/var/log/" not in site and f"{work}/logs/" in site
    (work / "site.conf").write_text(site)
    (work / "nginx.conf").write_text(f"""
pid {work}/nginx.pid;
error_log {work}/logs/main-error.log;
daemon off;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {work}/logs/http-access.log;
    error_log {work}/logs/http-error.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
""")
    nginx = subprocess.Popen(["nginx", "-p", str(work), "-c", str(work / "nginx.conf")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):   # until it listens (or has exited)
            if nginx.poll() is not None:
                raise AssertionError(nginx.stdout.read().decode())
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", https)) == 0:
                    break
            time.sleep(0.05)
        nid = "522601198001011238"
        for path in (f"/api/v1/compliance/{nid}?from_year=2019", f"/review/forms?national_id={nid}&year=2024",
                     "/api/v1/persons/11010519491231002X/integrity"):
            assert _get(https, path) == 502   # the service is down: nginx answers, and logs it
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
    logs = {p.name: p.read_text(errors="replace") for p in (work / "logs").iterdir()}
    # What the error log no longer says, the access log does (masked): the service was down for these requests.
    assert "access.log" in logs and "5226**********1238" in logs["access.log"]
    assert logs["access.log"].count(" 502 ") == 3 and logs["access.log"].count("upstream_status=502") == 3
    for name, text in logs.items():
        assert not FULL_ID.search(text), f"{name} holds a full ID number:\n{text}"
