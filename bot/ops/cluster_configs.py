"""The configuration files of `make cluster`, written from the production ones in deploy/.

nginx gets the shared includes of deploy/nginx/ unchanged (only the upstreams and the listening
addresses are loopback ports); Redis and Sentinel get the lines of deploy/redis/ with the
addresses filled in, so the cluster runs what production runs.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from bot.config import PACKAGE_DIR

DEPLOY_DIR = PACKAGE_DIR.parent / "deploy"
PRIMARY_PLACEHOLDER = "CHANGE-ME-primary-address 6379"
# nginx's own error messages name the client's address from level `error` down; `crit` keeps the
# start-up failures (`emerg`) and drops those.
NGINX_ERROR_LEVEL = "crit"


@dataclass(frozen=True)
class RedisAuth:
    """The password in HRV_REDIS_URL (empty: none), set on both Redis servers and the sentinels."""

    password: str = ""


def nginx_config(
    run_dir: Path,
    port: int,
    actions_port: int,
    gateway_ports: list[int],
    action_ports: list[int],
    max_body_bytes: int,
) -> str:
    """nginx.conf for loopback: plain http, the same includes and upstream settings as
    deploy/nginx/hrv-guide.conf (which adds TLS and HSTS in production)."""
    temp = {
        name: run_dir / f"{name}-temp"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    temp_lines = "\n".join(f"    {name}_temp_path {path};" for name, path in temp.items())
    gateways = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in gateway_ports
    )
    actions = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in action_ports
    )
    error_log = f"{run_dir / 'error.log'} {NGINX_ERROR_LEVEL}"
    # Started by root, nginx's workers would become `nobody`, who cannot use the run directory.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""# Written by bot/ops/cluster.py for `make cluster`; production: deploy/nginx/.
{user}
# One process: it dies with `make cluster` however that ends (PR_SET_PDEATHSIG reaches only the
# process spawned, and a worker whose master was killed keeps serving). Production runs nginx's
# usual master and workers under systemd.
master_process off;
worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log {error_log};

events {{
    worker_connections 1024;
}}

http {{
    error_log {error_log};
    access_log off;
    server_tokens off;
    default_type application/octet-stream;
{temp_lines}

    upstream hrv_gateways {{
{gateways}
        keepalive 32;
        keepalive_timeout 4s;  # before uvicorn closes an idle connection (5 s)
    }}

    upstream hrv_actions {{
{actions}
        keepalive 16;
        keepalive_timeout 4s;  # before Sanic closes an idle connection (5 s)
    }}

    server {{
        listen 127.0.0.1:{port};
        # = HRV_MAX_BODY_BYTES
        client_max_body_size {max_body_bytes};
        include {DEPLOY_DIR / "nginx/hrv-guide-proxy.conf"};
    }}

    server {{
        listen 127.0.0.1:{actions_port};
        include {DEPLOY_DIR / "nginx/hrv-guide-actions.conf"};
    }}
}}
"""


def _deploy_lines(name: str) -> str:
    return (DEPLOY_DIR / "redis" / name).read_text(encoding="utf-8")


def redis_config(
    data_dir: Path, port: int, replica_of: int | None, auth: RedisAuth = RedisAuth()
) -> str:
    """A Redis server's file: deploy/redis/primary.conf (+ replica.conf) on a loopback port.
    Sentinel rewrites it on a failover, so it lives beside the data, written once per start."""
    lines = [_deploy_lines("primary.conf")]
    if replica_of is not None:
        lines.append(_deploy_lines("replica.conf").replace(PRIMARY_PLACEHOLDER, _at(replica_of)))
    lines.append(_on_loopback(port, data_dir))
    if auth.password:
        lines.append(f"requirepass {auth.password}\nmasterauth {auth.password}")
    return "\n".join(lines) + "\n"


def sentinel_config(
    data_dir: Path, port: int, primary_port: int, service: str, auth: RedisAuth = RedisAuth()
) -> str:
    """A sentinel's file: deploy/redis/sentinel.conf watching the loopback primary."""
    text = _deploy_lines("sentinel.conf").replace(PRIMARY_PLACEHOLDER, _at(primary_port))
    text = text.replace(" hrvguide ", f" {service} ")
    extra = [_on_loopback(port, data_dir)]
    if auth.password:
        extra.append(f"sentinel auth-pass {service} {auth.password}")
    return text + "\n" + "\n".join(extra) + "\n"


def _on_loopback(port: int, data_dir: Path) -> str:
    """The lines a Redis server and a sentinel of the cluster both get: loopback, its own port
    and folder, in the foreground, logging to the launcher's log file."""
    return "\n".join(
        [
            "# Written by bot/ops/cluster.py for `make cluster`.",
            "bind 127.0.0.1",
            f"port {port}",
            f'dir "{data_dir}"',
            "daemonize no",
            'logfile ""',
        ]
    )


def _at(port: int) -> str:
    return f"127.0.0.1 {port}"
