#!/bin/sh
# HRV Guide: copy a Redis server's append-only files (Redis 7: the files in `appenddirname`)
# into DEST/redis-<UTC time>-<epoch seconds>, and delete every copy older than MAX_AGE_SECONDS.
#
#   hrv-guide-redis-backup.sh DEST MAX_AGE_SECONDS
#
# Run on the Redis host, as a user that can read Redis's data directory (Debian: `redis`);
# hrv-guide-redis-backup.timer runs it hourly. MAX_AGE_SECONDS is HRV_SESSION_TTL_SECONDS: a
# copy holds conversations, which must not outlive their TTL on disk either (docs/OPERATIONS.md,
# "Backup and restore"). Environment: REDIS_HOST (127.0.0.1), REDIS_PORT (6379), REDISCLI_AUTH
# (the password, read by redis-cli itself, so it is never on a command line).
#
# First a rewrite (BGREWRITEAOF): an append-only file holds every write since its last rewrite,
# expired and erased conversations included; rewritten, it holds only the keys that still live,
# with their TTLs. Then the copy follows "Backing up AOF persistence" in Redis's documentation:
# automatic rewrites off, wait for a running rewrite to finish, copy the directory, put the
# setting back.
set -eu

DEST=${1:?usage: hrv-guide-redis-backup.sh DEST MAX_AGE_SECONDS}
MAX_AGE=${2:?usage: hrv-guide-redis-backup.sh DEST MAX_AGE_SECONDS}
cli() { redis-cli -h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}" --no-auth-warning --raw "$@"; }

# Rotation first, so a failing copy never leaves old ones behind: whole copies past MAX_AGE by
# the time in their name, and pieces of a copy that was cut short.
mkdir -p "$DEST"
NOW=$(date -u +%s)
for copy in "$DEST"/redis-*; do
    [ -e "$copy" ] || continue
    case $copy in
        *.partial) rm -rf -- "$copy"; continue ;;
    esac
    taken=${copy##*-}
    case $taken in
        '' | *[!0-9]*) continue ;;  # not one of ours
    esac
    if [ $((NOW - taken)) -ge "$MAX_AGE" ]; then
        rm -rf -- "$copy"
    fi
done

DIR=$(cli CONFIG GET dir | sed -n 2p)
AOF_DIR=$DIR/$(cli CONFIG GET appenddirname | sed -n 2p)
[ "$(cli CONFIG GET appendonly | sed -n 2p)" = yes ] || { echo "appendonly is off: nothing to copy" >&2; exit 1; }
PREVIOUS=$(cli CONFIG GET auto-aof-rewrite-percentage | sed -n 2p)
case $PREVIOUS in
    '' | *[!0-9]*) echo "cannot read auto-aof-rewrite-percentage" >&2; exit 1 ;;
esac

rewriting() {
    cli INFO persistence | grep -qE '^aof_rewrite_(in_progress|scheduled):1'
}
cli BGREWRITEAOF > /dev/null
while rewriting; do
    sleep 1
done

NAME=redis-$(date -u -d "@$NOW" +%Y%m%dT%H%M%SZ)-$NOW
cli CONFIG SET auto-aof-rewrite-percentage 0 > /dev/null
# A stop (systemctl stop, a shutdown) must also put the setting back: sh runs the EXIT trap on
# `exit`, not when a signal kills it.
trap 'exit 1' INT TERM HUP
trap 'cli CONFIG SET auto-aof-rewrite-percentage "$PREVIOUS" > /dev/null; rm -rf -- "$DEST/$NAME.partial"' EXIT
until cli INFO persistence | grep -q '^aof_rewrite_in_progress:0'; do
    sleep 1
done
# Redis only appends to these files or replaces them whole (and no rewrite replaces them now).
cp -rp -- "$AOF_DIR" "$DEST/$NAME.partial"
mv -- "$DEST/$NAME.partial" "$DEST/$NAME"
echo "$DEST/$NAME"
