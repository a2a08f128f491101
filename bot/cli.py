"""The `hrv-guide` command: `run` (the whole stack), `serve` (the gateway alone) and
`staff add [--role supervisor]|remove|audit` (staff accounts and the audit log, in the Redis at
REDIS_URL),
`registry check` (validate data/ and summarise coverage; CI runs it) and `privacy audit`
(keys without expiry and stored identifiers in Redis)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.config import get_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging() -> None:
    """One logging setup: our events at INFO; httpx at WARNING (its URLs can carry tokens)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve() -> int:
    """Run the gateway with uvicorn; no access log, so no client address is ever written."""
    import uvicorn

    from bot.main import create_app

    settings = get_settings()
    configure_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        # The event loop and the HTTP parser in C (pyproject.toml says what they saved).
        loop="uvloop",
        http="httptools",
        # sse-starlette ends the event streams on shutdown; this bounds whatever else is still
        # open, inside the 15 s systemd and the launcher give a stop before SIGKILL.
        timeout_graceful_shutdown=10,
    )
    return 0


def run() -> int:
    """Start Redis (if needed), the action server, Rasa and the gateway until Ctrl-C."""
    from bot.ops.launcher import run_forever

    return run_forever(get_settings())


async def _staff(action: str, name: str | None, role: str = "staff") -> int:
    from bot.errors import ApiError
    from bot.handoff.service import Handoffs
    from bot.staff.audit import AuditLog
    from bot.staff.auth import StaffAuth
    from bot.staff.roles import Role
    from bot.store import Keys, connect_from

    settings = get_settings()
    redis = connect_from(settings)  # through the sentinels when HRV_REDIS_SENTINELS is set
    keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
    audit = AuditLog(redis, keys, settings.audit_ttl_seconds)
    auth = StaffAuth.from_settings(redis, keys, audit, settings)
    try:
        if action == "add" and name:
            account = await auth.add(name, Role(role))
            # Scripts read the `key: value` lines; the format is documented in docs/OPERATIONS.md.
            print(f"Staff account {name!r} created. Shown once, keep them safe:")
            print(f"role: {account.role}")
            print(f"token: {account.token}")
            print(f"totp_secret: {account.totp_secret}")
            print(f"totp_uri: {account.totp_uri}")
        elif action == "remove" and name:
            if not await auth.remove(name):
                print(f"No staff account {name!r}.", file=sys.stderr)
                return 1
            handoffs = Handoffs(
                redis,
                keys,
                settings.session_ttl_seconds,
                audit_ttl_seconds=settings.audit_ttl_seconds,
                stats_retention_days=settings.stats_retention_days,
            )
            await handoffs.sign_off(name)  # their conversations go back to the queue
            print(f"Staff account {name!r} removed; its sessions are revoked.")
        else:
            for entry in await audit.recent(200):
                at = datetime.fromtimestamp(int(entry.get("at", 0)) / 1000, UTC)
                line = f"{at:%Y-%m-%d %H:%M:%S}Z {entry.get('who', '')} {entry.get('action', '')}"
                print(f"{line} {entry.get('handoff', '')}".rstrip())
        return 0
    except ApiError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        await redis.aclose()


def texts_status() -> int:
    """Print each language's review status per file; exit 1 if a listed file lacks one."""
    from bot.ops.texts_review import report

    text, ok = report(get_settings())
    print(text)
    return 0 if ok else 1


def registry_check(data_dir: Path | None, today: date | None) -> int:
    """Validate the registry's data files; print the problems or the coverage summary."""
    from registry.check import check, render

    directory = data_dir or get_settings().data_dir
    report = check(directory, today)
    print(render(report, directory))
    return 0 if report.ok else 1


def safety_train() -> int:
    """Train the safety layer's model now if its data changed, as the gateway would at start:
    `make run` does it while Rasa trains, so the first start does not wait for it."""
    from bot.conversation.safety import SafetyLayer
    from bot.languages import load_codes

    settings = get_settings()
    SafetyLayer.from_settings(settings, load_codes(settings.languages_file))
    return 0


def privacy_audit(redis_url: str | None, match: str) -> int:
    """Report keys without expiry and stored identifiers (names and types, never values);
    exit 1 when anything is found, 2 when Redis cannot be read."""
    from redis.exceptions import RedisError

    from bot.ops.privacy_audit import audit

    try:
        report = asyncio.run(audit(get_settings(), redis_url, match))
    except RedisError as error:
        print(f"Redis could not be read: {type(error).__name__}", file=sys.stderr)
        return 2
    print(report.render())
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hrv-guide` command."""
    parser = argparse.ArgumentParser(prog="hrv-guide", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole service and print the widget's address")
    commands.add_parser("serve", help="start the gateway alone (Rasa must be running)")
    staff = commands.add_parser("staff", help="staff accounts and the audit log")
    staff_actions = staff.add_subparsers(dest="action", required=True)
    adder = staff_actions.add_parser(
        "add", help="create an account; prints its token and TOTP key once"
    )
    adder.add_argument("name")
    adder.add_argument(
        "--role",
        choices=["staff", "supervisor"],
        default="staff",
        help="supervisor: also sees every open chat, joins or ends any, reads the statistics",
    )
    staff_actions.add_parser("remove", help="delete an account, revoke its sessions").add_argument(
        "name"
    )
    staff_actions.add_parser("audit", help="print the newest audit log entries")
    texts = commands.add_parser("texts", help="the texts in every language")
    texts.add_subparsers(dest="texts_command", required=True).add_parser(
        "status", help="each language's review status per file; which are still drafts"
    )
    registry = commands.add_parser("registry", help="the municipality and centre data")
    registry_commands = registry.add_subparsers(dest="registry_command", required=True)
    checker = registry_commands.add_parser(
        "check", help="validate data/ (290 municipalities, sources, dates, phone numbers)"
    )
    checker.add_argument("--data-dir", type=Path, help="default: HRV_DATA_DIR or ./data")
    checker.add_argument(
        "--today", type=date.fromisoformat, help="the day to summarise (YYYY-MM-DD)"
    )
    safety = commands.add_parser("safety", help="the safety layer")
    safety.add_subparsers(dest="safety_command", required=True).add_parser(
        "train", help="train its model if its data changed (the gateway would at start)"
    )
    privacy = commands.add_parser("privacy", help="what is stored about people")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True)
    auditor = privacy_commands.add_parser(
        "audit", help="report Redis keys without expiry and stored identifiers (exit 1 if any)"
    )
    auditor.add_argument("--redis-url", help="default: HRV_REDIS_URL / REDIS_URL")
    auditor.add_argument("--match", default="*", help="SCAN pattern of the keys to check")
    args = parser.parse_args(argv)
    if args.command == "privacy":
        return privacy_audit(args.redis_url, args.match)
    if args.command == "staff":
        return asyncio.run(
            _staff(args.action, getattr(args, "name", None), getattr(args, "role", "staff"))
        )
    if args.command == "texts":
        return texts_status()
    if args.command == "registry":
        return registry_check(args.data_dir, args.today)
    if args.command == "safety":
        return safety_train()
    return {"run": run, "serve": serve}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
