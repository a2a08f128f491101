"""The production configs in deploy/ and the loopback files `make cluster` writes from them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import PACKAGE_DIR
from bot.ops.cluster_configs import (
    DEPLOY_DIR,
    RedisAuth,
    nginx_config,
    redis_config,
    sentinel_config,
)
from bot.ops.cluster_plan import NGINX

PROXY = DEPLOY_DIR / "nginx/hrv-guide-proxy.conf"


def _directives(text: str, name: str) -> list[str]:
    return [
        line.split(None, 1)[1].rstrip(";").strip()
        for line in text.splitlines()
        if line.strip().startswith(name + " ")
    ]


def test_nginx_s_own_503_carries_the_gateway_s_safe_reply() -> None:
    raw = re.search(r"return 503 '(.*)';", PROXY.read_text(encoding="utf-8"))
    assert raw is not None
    body = json.loads(raw.group(1))
    assert body["error"]["code"] == "unavailable"
    for reply in body["replies"]:
        texts = yaml.safe_load((PACKAGE_DIR / "texts" / f"{reply['lang']}.yml").read_text("utf-8"))
        assert reply["text"] == texts["replies"]["safe_fallback"]
        assert "112" in reply["text"]
    assert {reply["lang"] for reply in body["replies"]} == {"sv", "en"}


def test_the_proxy_logs_no_addresses_sets_the_forwarded_address_once_and_retries_no_post() -> None:
    text = PROXY.read_text(encoding="utf-8")
    assert _directives(text, "access_log") == ["off"]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "$proxy_add_x_forwarded_for" not in text
    actions = (DEPLOY_DIR / "nginx/hrv-guide-actions.conf").read_text(encoding="utf-8")
    # Not `non_idempotent`: a POST that reached one gateway (or action server) is not sent on.
    assert _directives(text, "proxy_next_upstream") == ["error timeout"]
    assert _directives(actions, "proxy_next_upstream") == ["error timeout"]
    site = (DEPLOY_DIR / "nginx/hrv-guide.conf").read_text(encoding="utf-8")
    assert all(level.endswith("crit") for level in _directives(site, "error_log"))


def test_redis_files_keep_an_append_only_file_synced_on_every_write(tmp_path: Path) -> None:
    primary = redis_config(tmp_path, 7001, None, RedisAuth("pw"))
    replica = redis_config(tmp_path, 7002, 7001)
    for text in (primary, replica):
        assert _directives(text, "appendonly") == ["yes"]
        assert _directives(text, "appendfsync") == ["always"]
        assert "CHANGE-ME" not in "".join(_directives(text, "replicaof"))
    assert _directives(primary, "replicaof") == []
    assert _directives(primary, "requirepass") == ["pw"]
    assert _directives(replica, "replicaof") == ["127.0.0.1 7001"]
    sentinel = sentinel_config(tmp_path, 7003, 7001, "hrvguide")
    assert "sentinel monitor hrvguide 127.0.0.1 7001 2" in sentinel.splitlines()


@pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx: make cluster-packages")
def test_the_loopback_nginx_config_is_valid_and_uses_the_production_includes(
    tmp_path: Path,
) -> None:
    text = nginx_config(tmp_path, 18001, 18002, [18003, 18004], [18005, 18006], 32 * 1024)
    assert str(PROXY) in text
    assert "client_max_body_size 32768;" in text
    (tmp_path / "nginx.conf").write_text(text)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert shutil.which(NGINX)
