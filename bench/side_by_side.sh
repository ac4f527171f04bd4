#!/bin/bash
# mailactor beside Postfix (mail held in its queue) and smtp-sink (no storage), all driven by
# Postfix's smtp-source in one run of ../shared/bench/anchors.sh, so every figure can be quoted
# as a ratio measured side by side. Builds mailactor in Release first. Run as root (the anchors
# script runs every server in a private network namespace that holds only loopback).
#
#   sudo bench/side_by_side.sh                 # W1-W4, mailactor with durability fsync and none
#   CELLS=W2 REPS=1 sudo bench/side_by_side.sh
#
# Knobs: CELLS (W1,W2,W3,W4), REPS (1), SERVERS (peers beside mailactor: smtp-sink,postfix),
# DURABILITY (fsync,none), THREADS (scheduler threads; 0 = one per core but one), ANCHORS (path of
# anchors.sh). The table is printed and kept in
# bench/results/side_by_side-<durability>.md, its bars in side_by_side-<durability>.png.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANCHORS="${ANCHORS:-$ROOT/../shared/bench/anchors.sh}"
CELLS="${CELLS:-W1,W2,W3,W4}"
REPS="${REPS:-1}"
SERVERS="${SERVERS:-smtp-sink,postfix}"
DURABILITY="${DURABILITY:-fsync,none}"
THREADS="${THREADS:-0}"
[ -x "$ANCHORS" ] || { echo "no anchors script at $ANCHORS (set ANCHORS=)" >&2; exit 2; }

"$ROOT/scripts/install-deps" >/dev/null
cmake -S "$ROOT" -B "$ROOT/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILACTOR_TESTS=OFF >/dev/null
cmake --build "$ROOT/build-release" >/dev/null
BIN="$ROOT/build-release/app/mailactor"

STATE="$(mktemp -d /tmp/mailactor-side-by-side-XXXXXX)"
chmod 755 "$STATE"  # Postfix's daemons (user postfix) must reach their queue below it
trap 'rm -rf "$STATE"' EXIT
mkdir -p "$ROOT/bench/results"

IFS=, read -ra modes <<<"$DURABILITY"
for d in "${modes[@]}"; do
  cfg="$STATE/mailactor-$d.toml"
  # What smtp-source needs (mail for example.test, many sessions from one address) and the
  # receive path only: delivery off, as Postfix's mail is held in its queue.
  cat >"$cfg" <<EOF
[server]
hostname = "bench.example.test"
local_domains = ["example.test"]
threads = $THREADS
log_level = "warn"

[limits]
max_sessions = 2000
max_sessions_per_ip = 2000
max_messages_per_session = 0

[spool]
durability = "$d"

[delivery]
enabled = false
EOF
  fsync=no
  [ "$d" = fsync ] && fsync=yes
  # Only the first pass runs the peers; the ratios of the second use its own smtp-sink run.
  servers="$SERVERS,mailactor-$d"
  [ "$d" != "${modes[0]}" ] && servers="smtp-sink,mailactor-$d"
  echo "== mailactor durability=$d beside ${servers%,mailactor-$d}" >&2
  SERVERS="$servers" CELLS="$CELLS" REPS="$REPS" BENCH_STATE="$STATE/anchors" \
  CUSTOM_NAME="mailactor-$d" CUSTOM_FSYNC="$fsync" \
  CUSTOM_CMD="$BIN serve --config $cfg --listen 127.0.0.1:{port} --spool {dir}/spool" \
  CUSTOM_STORED="sqlite3 {dir}/spool/queue.db 'select count(*) from messages'" \
    "$ANCHORS" | grep -v -e "^Get:" -e "^Fetched " | tee "$ROOT/bench/results/side_by_side-$d.md"
  # The bars beside the table (Debian's matplotlib: scripts/install-deps brings it).
  /usr/bin/python3 "$ROOT/bench/plot_side_by_side.py" "$ROOT/bench/results/side_by_side-$d.md"
done
