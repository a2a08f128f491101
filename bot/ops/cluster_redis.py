"""What `make cluster` asks its sentinels and Redis servers: who is primary, whether the
sentinels can fail over, whether a Redis server copies the primary."""

from __future__ import annotations

import redis


def sentinel_primary_port(sentinels: list[tuple[str, int]], service: str) -> int | None:
    """The port of the primary the first answering sentinel names (None: none answers)."""
    for host, port in sentinels:
        try:
            with redis.Redis(
                host=host, port=port, socket_timeout=1, socket_connect_timeout=1
            ) as client:
                found = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service)
        except redis.RedisError:
            continue
        if found:
            return int(found[1])
    return None


def sentinel_sees_all(port: int, service: str, replicas: int = 1, others: int = 2) -> bool:
    """Whether the sentinel at `port` knows the replica(s) and the other sentinels: only then
    can they agree to fail the primary over."""
    try:
        with redis.Redis(port=port, socket_timeout=1, decode_responses=True) as client:
            info = client.execute_command("SENTINEL", "MASTER", service)
    except redis.RedisError:
        return False
    fields = dict(zip(info[::2], info[1::2], strict=False)) if isinstance(info, list) else info
    return (
        int(fields.get("num-slaves", 0)) >= replicas
        and int(fields.get("num-other-sentinels", 0)) >= others
    )


def copies_a_primary(port: int, password: str | None) -> bool:
    """Whether the Redis server at `port` is a replica with its link to the primary up."""
    try:
        with redis.Redis(port=port, password=password, socket_timeout=1) as client:
            info = client.info("replication")
    except redis.RedisError:
        return False
    return info.get("role") == "slave" and info.get("master_link_status") == "up"
