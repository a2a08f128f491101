"""What deploy/ gives operators: the environment file names only real settings and loads as
production settings, the systemd units are valid and start what the code has, and the units'
readiness wait works."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from bot.cli import main as cli_main
from bot.config import Settings
from bot.ops.wait_ready import wait_ready

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
PROCESS_UNITS = [unit for unit in UNITS if unit.name.endswith("@.service")]
INSTALL = "/opt/hrv-guide"


def setting_names() -> set[str]:
    """Every HRV_ variable something of the service reads: the gateway's settings, the
    variables endpoints.yml gives Rasa, and the action server's own."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(f"HRV_{name.upper()}")
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(c) for c in field.validation_alias.choices)
    names.update(re.findall(r"\$\{(HRV_[A-Z0-9_]+)\}", (REPO_ROOT / "endpoints.yml").read_text()))
    actions = (REPO_ROOT / "actions" / "settings.py").read_text()
    names.update(re.findall(r"environ\.get\(\"(HRV_[A-Z0-9_]+)\"", actions))
    return names


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, separator, value = line.partition("=")
            assert separator and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), line
            assert not value.startswith(("'", '"')), f"keep values unquoted: {line}"
            values[name] = value
    return values


def test_every_hrv_name_in_the_env_example_is_a_real_setting():
    mentioned = set(re.findall(r"\bHRV_[A-Z0-9_]+", (DEPLOY / "env.example").read_text()))
    assert mentioned, "no HRV_ names found"
    assert mentioned - setting_names() == set()


def test_the_env_example_loads_as_settings_and_production_refuses_its_placeholders():
    values = env_example()
    gateway = {k.removeprefix("HRV_").lower(): v for k, v in values.items() if k.startswith("HRV_")}
    known = {k: v for k, v in gateway.items() if k in Settings.model_fields}
    settings = Settings(**{**known, "environment": "test"})
    assert settings.trusted_proxy_hops == 1
    with pytest.raises(ValidationError, match="HRV_RASA_TOKEN"):
        Settings(**known)
    with pytest.raises(ValidationError, match="HRV_RATE_LIMIT_SECRET"):
        Settings(**{**known, "rasa_token": "a-real-secret-for-the-test"})
    real = {
        **known,
        "rasa_token": "a-real-secret-for-the-test",
        "rate_limit_secret": "another-real-secret-for-the-test",
    }
    assert Settings(**real).environment == "production"
    assert "HRV_PORT" not in values, "each gateway unit takes its port from its instance name"


def test_the_rasa_stores_get_every_variable_endpoints_yml_needs():
    """Rasa fails to start when a variable of endpoints.yml is unset."""
    needed = set(re.findall(r"\$\{(HRV_[A-Z0-9_]+)\}", (REPO_ROOT / "endpoints.yml").read_text()))
    assert needed - set(env_example()) == set()


def exec_lines(unit: Path) -> list[str]:
    text = unit.read_text().replace("\\\n", " ")
    return [line for line in text.splitlines() if line.startswith(("ExecStart=", "ExecStartPost="))]


def test_the_units_start_what_the_code_has():
    assert {u.name for u in PROCESS_UNITS} == {
        "hrv-guide-gateway@.service",
        "hrv-guide-rasa@.service",
        "hrv-guide-actions@.service",
    }
    commands = " ".join(line for unit in PROCESS_UNITS for line in exec_lines(unit))
    assert "hrv-guide serve" in commands
    with pytest.raises(SystemExit) as shown:
        cli_main(["serve", "--help"])  # the subcommand the gateway unit runs exists
    assert shown.value.code == 0
    for module in re.findall(r"-m (bot\.[a-z_.]+)", commands):
        assert (REPO_ROOT / (module.replace(".", "/") + ".py")).is_file(), module
    for unit in PROCESS_UNITS:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/hrv-guide/env" in text
        assert "User=hrv-guide" in text
        assert re.search(r"^Restart=(always|on-failure)$", text, re.M), unit.name
        for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
            assert option in text, (unit.name, option)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path):
    """In a scratch root with stand-ins for the install's programs (verify checks that each
    command exists), so nothing of this machine's systemd is touched."""
    root = tmp_path / "root"
    shutil.copytree("/lib/systemd/system", root / "lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in (DEPLOY / "systemd").glob("hrv-guide*"):
        shutil.copy(unit, units / unit.name)
    (root / "etc/hrv-guide").mkdir(parents=True)
    (root / "etc/hrv-guide/env").write_text((DEPLOY / "env.example").read_text())
    for line in (line for unit in UNITS for line in exec_lines(unit)):
        pattern = r"(/(?:usr/bin|usr/local/sbin|opt/hrv-guide)/[^\s;]+)"
        for program in re.findall(pattern, line.split("=", 1)[1]):
            target = root / program.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy("/bin/true", target)
    instances = ["hrv-guide-gateway@8000.service", "hrv-guide-rasa@5005.service"]
    instances += ["hrv-guide-actions@5055.service", "hrv-guide.target"]
    instances += ["hrv-guide-redis-backup.service", "hrv-guide-redis-backup.timer"]
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *instances],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


class _LateAnswer(BaseHTTPRequestHandler):
    ready_at = 0.0

    def do_GET(self) -> None:
        self.send_response(200 if time.monotonic() >= self.ready_at else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_wait_ready_waits_for_a_200_and_gives_up_when_none_comes():
    _LateAnswer.ready_at = time.monotonic() + 1.0
    server = HTTPServer(("127.0.0.1", 0), _LateAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/healthz"
    try:
        assert wait_ready(url, timeout=0.3, interval=0.1) is False  # 503 so far
        assert wait_ready(url, timeout=30, interval=0.1) is True
    finally:
        server.shutdown()
        server.server_close()
    assert wait_ready(url, timeout=0.3, interval=0.1) is False  # nothing listens now
