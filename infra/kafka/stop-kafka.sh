#!/usr/bin/env bash
# Stops the broker infra/kafka/start-kafka.sh started, by the PID in its state file, and removes its data.
set -euo pipefail

state="${WEDSYNC_KAFKA_STATE:-${TMPDIR:-/tmp}/wedsync-kafka.state}"
[ -f "$state" ] || exit 0
pid="$(sed -n 's/^pid=//p' "$state")"
data="$(sed -n 's/^data=//p' "$state")"
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
fi
case "$data" in
  */wedsync-kafka-*) rm -rf "$data" ;;
esac
rm -f "$state"
