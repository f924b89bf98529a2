"""Settings read from the environment: defaults, and a clear error naming the variable."""

from __future__ import annotations

import pytest

from ce_service.serving import _config
from ce_service.settings import SettingsError, load_settings

BASE = {"CE_SECRET_KEY": "settings-test-secret-0123456789abcdef"}


def test_trusted_proxies_default_to_this_host_and_reach_uvicorn(tmp_path):
    settings = load_settings({**BASE, "CE_DATA_DIR": str(tmp_path)})
    assert settings.trusted_proxies == "127.0.0.1,::1"
    config = _config({"log_level": "info", "log_format": "json", "trusted_proxies": "10.0.0.0/8, 192.0.2.7"})
    assert config.forwarded_allow_ips == "10.0.0.0/8, 192.0.2.7" and config.proxy_headers


def test_trusted_proxies_are_checked(tmp_path):
    settings = load_settings({**BASE, "CE_DATA_DIR": str(tmp_path), "CE_TRUSTED_PROXIES": " 172.16.0.0/12 , ::1 "})
    assert settings.trusted_proxies == "172.16.0.0/12,::1"
    with pytest.raises(SettingsError, match="CE_TRUSTED_PROXIES: 'nginx' is not an IP"):
        load_settings({**BASE, "CE_DATA_DIR": str(tmp_path), "CE_TRUSTED_PROXIES": "nginx"})


def test_client_rate_limit_has_a_default_and_bounds(tmp_path):
    assert load_settings({**BASE, "CE_DATA_DIR": str(tmp_path)}).client_rate_limit == 1000
    assert load_settings({**BASE, "CE_DATA_DIR": str(tmp_path), "CE_CLIENT_RATE_LIMIT": "50"}).client_rate_limit == 50
    with pytest.raises(SettingsError, match="CE_CLIENT_RATE_LIMIT=0 is outside"):
        load_settings({**BASE, "CE_DATA_DIR": str(tmp_path), "CE_CLIENT_RATE_LIMIT": "0"})
