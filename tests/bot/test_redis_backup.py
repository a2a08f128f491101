"""deploy/systemd/hrv-guide-redis-backup.sh against a real Redis with AOF: the copy restores
into a new Redis with every key and its expiry, a key past its expiry is not served after the
restore, the rewrite setting is put back, and copies older than the maximum age are deleted."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.ops.launcher import redis_reachable, redis_server_executable
from bot.ops.processes import free_port, spawn, stop

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "hrv-guide-redis-backup.sh"
needs_cli = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="no redis-cli here")


def start_redis(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], redis.Redis]:
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    command = [redis_server_executable(), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--dir", str(data), "--appendonly", "yes", "--save", ""]
    process = spawn(command, log)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while not redis_reachable(url):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    client = redis.Redis.from_url(url, decode_responses=True)
    # Loading an AOF takes a moment after the server answers PING.
    while client.info("persistence")["loading"]:
        time.sleep(0.05)
    return process, client


@pytest.fixture
def primary(tmp_path: Path) -> Iterator[tuple[redis.Redis, dict[str, str]]]:
    process, client = start_redis(tmp_path / "data", tmp_path / "redis.log")
    env = dict(os.environ, REDIS_PORT=str(client.connection_pool.connection_kwargs["port"]))
    yield client, env
    client.close()
    stop(process)


def backup(dest: Path, max_age: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPT), str(dest), str(max_age)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_cli
def test_a_copy_restores_every_key_with_its_expiry(primary, tmp_path: Path):
    client, env = primary
    client.set("hrv:session:long", "kept", ex=3600)
    client.set("hrv:session:short", "gone after its TTL", px=1500)
    done = backup(tmp_path / "backups", 14400, env)
    assert done.returncode == 0, done.stderr
    copy = Path(done.stdout.strip())
    assert copy.parent == tmp_path / "backups"
    assert any(copy.glob("*.manifest")), list(copy.iterdir())
    setting = "auto-aof-rewrite-percentage"
    assert client.config_get(setting) == {setting: "100"}  # put back after the copy

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copytree(copy, restored / "appendonlydir")
    time.sleep(1.6)  # the short key's time passes while it is only in the copy
    process, again = start_redis(restored, tmp_path / "restored.log")
    try:
        assert again.get("hrv:session:long") == "kept"
        assert 3000 < again.ttl("hrv:session:long") <= 3600
        assert again.get("hrv:session:short") is None
    finally:
        again.close()
        stop(process)


@needs_cli
def test_a_copy_holds_no_text_that_was_erased_before_it(primary, tmp_path: Path):
    """The append-only file keeps every write since its last rewrite: the backup rewrites it
    first, so an erased conversation is neither in the copy nor left in Redis's own files."""
    client, env = primary
    client.set("hrv:session:erased", "text the person erased", ex=3600)
    client.delete("hrv:session:erased")
    client.set("hrv:session:kept", "kept", ex=3600)
    done = backup(tmp_path / "backups", 14400, env)
    assert done.returncode == 0, done.stderr
    for files in (Path(done.stdout.strip()), tmp_path / "data"):
        written = b"".join(f.read_bytes() for f in files.rglob("*") if f.is_file())
        assert b"kept" in written
        assert b"text the person erased" not in written


@needs_cli
def test_copies_older_than_the_maximum_age_are_deleted(primary, tmp_path: Path):
    _, env = primary
    dest = tmp_path / "backups"
    now = int(time.time())
    old = dest / f"redis-20260101T000000Z-{now - 14401}"
    young = dest / f"redis-20260101T000000Z-{now - 600}"
    cut_short = dest / f"redis-20260101T000000Z-{now - 60}.partial"
    unrelated = dest / "redis-notes"
    for folder in (old, young, cut_short, unrelated):
        folder.mkdir(parents=True)
    done = backup(dest, 14400, env)
    assert done.returncode == 0, done.stderr
    left = {p.name for p in dest.iterdir()}
    assert old.name not in left
    assert cut_short.name not in left
    assert {young.name, unrelated.name, Path(done.stdout.strip()).name} == left
