#!/bin/bash
# mailactor as the peer bench's Custom server in the end-to-end cell E2, delivering the way
# postfix-deliver does: one Maildir per mailbox (DIR/mail/example.test/uNN/Maildir/new/), the
# mailbox picked by the last one or two digits of smtp-source -N's "<N>u@example.test" (here an
# alias per N, as the routing issue's aliases file has no regexps). Usage, from anchors.sh:
#   CUSTOM_CMD='/abs/bench/e2_mailboxes.sh {port} {dir}'
#   CUSTOM_DELIVERED="find {dir}/mail -path '*/new/*' -type f | wc -l"
# MAILACTOR_BIN overrides the binary (default: build/app/mailactor beside this script).
set -euo pipefail
port=$1
dir=$2
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${MAILACTOR_BIN:-$here/build/app/mailactor}"
mkdir -p "$dir"
aliases="$dir/aliases"
# N up to 99,999: more than one smtp-source run sends (E2's COUNTS default is 10,000).
awk 'BEGIN { print "postmaster: u0";
             for (n = 0; n < 100000; n++) print n "u: u" (n < 10 ? n : sprintf("%02d", n % 100)) }' \
  >"$aliases"
users=$(awk 'BEGIN { for (i = 0; i < 10; i++) printf "\"u%d\", ", i;
                     for (i = 0; i < 100; i++) printf "\"u%02d\", ", i }')
cat >"$dir/e2.toml" <<TOML
[server]
hostname = "mx.example.test"
local_domains = ["example.test"]
log_level = "warn"
[spool]
directory = "$dir/spool"
durability = "fsync"
[routing]
local = "mailboxes"
mailbox_root = "$dir/mail"
aliases = "$aliases"
users = [${users%, }]
[delivery]
workers = ${WORKERS:-4}
[metrics]
listen = ""
TOML
exec "$bin" serve --config "$dir/e2.toml" --listen "127.0.0.1:$port"
