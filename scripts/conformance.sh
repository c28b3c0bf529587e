#!/usr/bin/env bash
# Run the ADL LRS conformance suite (github adlnet/lrs-conformance-test-suite)
# against a freshly started `lrs serve`, both batteries (-x 1.0.3, -x 2.0.0).
#
#   scripts/conformance.sh PATH_TO_SUITE [DATABASE_URL]
#
# PATH_TO_SUITE is a checkout of the suite with `npm install` done (keep it in
# /tmp: it is never part of this repository). DATABASE_URL is optional:
#   - absent: a new SQLite file in a temporary directory;
#   - a postgresql+psycopg:// URL: a new database with a random name is made
#     on that server (the URL's user needs CREATEDB), used, and dropped at exit,
#     so every run starts empty whatever the URL's own database holds.
#
# One database serves both batteries; `lrs serve` is restarted for each with
# GSOG_LRS_XAPI_DEFAULT_VERSION set to the battery's version (the version a
# request without X-Experience-API-Version is answered in; see below).
#
# Prints, per battery, "passed N, failed M" read from the suite's own JSON log
# (not from node's exit status, which is the failure count modulo 256) and the
# wall time; writes the failures grouped by spec section to
# $CONFORMANCE_OUT (default: a temp dir, path printed) and prints them too.
# Exits non-zero when any test failed, the runner crashed, or nothing ran.
#
# Environment:
#   CONFORMANCE_BATTERIES  versions to run (default "1.0.3 2.0.0")
#   CONFORMANCE_GREP       passed to the suite as -g (run a subset)
#   CONFORMANCE_ERRORS=1   pass -z (log of failing tests only; smaller logs)
#   CONFORMANCE_OUT        directory for the server log, suite logs and reports
#   LRS                    command that runs the LRS CLI (default: `lrs`, else `python -m lrs.cli`)
set -euo pipefail

usage() { echo "usage: $0 PATH_TO_SUITE [DATABASE_URL]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
SUITE=$(cd "$1" && pwd) || usage
DB_URL_GIVEN=${2:-}
[ -f "$SUITE/bin/console_runner.js" ] || { echo "not a conformance suite checkout: $SUITE" >&2; exit 2; }
[ -d "$SUITE/node_modules" ] || { echo "run 'npm install' in $SUITE first" >&2; exit 2; }

PY=${PYTHON:-python3}
if [ -n "${LRS:-}" ]; then
  read -r -a LRS_CMD <<<"$LRS"
elif command -v lrs >/dev/null 2>&1; then
  LRS_CMD=(lrs)
else
  LRS_CMD=("$PY" -m lrs.cli)
fi
read -r -a BATTERIES <<<"${CONFORMANCE_BATTERIES:-1.0.3 2.0.0}"

WORK=$(mktemp -d /tmp/lrs-conformance-run.XXXXXX)
OUT=${CONFORMANCE_OUT:-$WORK}
mkdir -p "$OUT"
rm -f "$OUT"/failures-*.counts "$OUT"/failures-*.md "$OUT"/server.log
SERVER_PID=""
PG_DROP_URL=""
PG_DB=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  stop_server
  if [ -n "$PG_DB" ]; then
    "$PY" - "$PG_DROP_URL" "$PG_DB" <<'PY' || echo "warning: could not drop database $PG_DB" >&2
import sys

import psycopg

url, name = sys.argv[1], sys.argv[2]
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
PY
  fi
  if [ "$OUT" != "$WORK" ]; then rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the database -----------------------------------------------------------
if [ -z "$DB_URL_GIVEN" ]; then
  DB_URL="sqlite:///$WORK/lrs.sqlite3"
  echo "database: new SQLite file $WORK/lrs.sqlite3"
else
  # Make a fresh database next to the given one; print "admin-url<TAB>name<TAB>new-url".
  read -r PG_DROP_URL PG_DB DB_URL < <("$PY" - "$DB_URL_GIVEN" <<'PY'
import secrets
import sys

import psycopg
from sqlalchemy.engine import make_url

given = make_url(sys.argv[1])
if given.get_backend_name() != "postgresql":
    sys.exit(f"DATABASE_URL must be postgresql+psycopg://..., got {given.drivername}")
name = f"lrs_conformance_{secrets.token_hex(4)}"
admin = given.set(drivername="postgresql", database=given.database or "postgres")
admin_dsn = admin.render_as_string(hide_password=False)
with psycopg.connect(admin_dsn, autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{name}"')
fresh = given.set(drivername="postgresql+psycopg", database=name)
print(admin_dsn, name, fresh.render_as_string(hide_password=False), sep="\t")
PY
)
  [ -n "${PG_DB:-}" ] && [ -n "${DB_URL:-}" ] || { echo "could not create a fresh database on $DB_URL_GIVEN" >&2; exit 1; }
  echo "database: new PostgreSQL database $PG_DB"
fi
export GSOG_LRS_DATABASE_URL="$DB_URL"

# --- the server -------------------------------------------------------------
# One database for both batteries (so leftovers of the first can disturb the
# second, as they would in production). The server is restarted per battery
# with GSOG_LRS_XAPI_DEFAULT_VERSION set to that battery's version: the suite
# expects a request *without* a version header to be answered in the version
# it tests (1.0.3 run: 1.0.3; 2.0.0 run: 2.0.0), which one process serving
# both versions cannot know.
if ! "${LRS_CMD[@]}" db upgrade >"$OUT/db-upgrade.log" 2>&1; then
  echo "note: '${LRS_CMD[*]} db upgrade' failed (the server may migrate on start):" >&2
  tail -3 "$OUT/db-upgrade.log" >&2
fi

start_server() {  # $1: the version answered when a request names none
  PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ENDPOINT="http://127.0.0.1:$PORT/xapi"
  GSOG_LRS_XAPI_DEFAULT_VERSION="$1" "${LRS_CMD[@]}" serve --host 127.0.0.1 --port "$PORT" \
    >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "lrs serve exited before answering; its log:" >&2
      tail -30 "$OUT/server.log" >&2
      exit 1
    fi
    # Any HTTP answer (even 401/404) means it listens.
    if "$PY" - "$ENDPOINT/about" <<'PY' 2>/dev/null; then
import sys
import urllib.error
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
      echo "server: $ENDPOINT (pid $SERVER_PID, default version $1, log $OUT/server.log)"
      return 0
    fi
    sleep 0.1
  done
  echo "lrs serve did not answer within 30 s; its log:" >&2
  tail -30 "$OUT/server.log" >&2
  exit 1
}

# --- a client with every scope ----------------------------------------------
# Key and secret chosen here, hex: a random secret may start with "-", which the
# suite's option parser (commander) then takes for an option (-p -x... = no password).
WANT_KEY="conformance-$("$PY" -c 'import secrets; print(secrets.token_hex(6))')"
WANT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(24))')
CLIENT_OUT=$("${LRS_CMD[@]}" client add conformance --scope all --key "$WANT_KEY" --secret "$WANT_SECRET" \
  2>"$OUT/client-add.err") || {
  echo "'lrs client add' failed:" >&2; cat "$OUT/client-add.err" >&2; exit 1; }
# Accept JSON ({"key": ..., "secret": ...}) or "key: K" / "secret: S" lines.
read -r KEY SECRET < <(printf '%s' "$CLIENT_OUT" | "$PY" -c '
import json, re, sys

text = sys.stdin.read()
try:
    data = json.loads(text)
    print(data["key"], data["secret"])
except (ValueError, KeyError, TypeError):
    key = re.search(r"\bkey\b\s*[:=]\s*(\S+)", text, re.I)
    secret = re.search(r"\bsecret\b\s*[:=]\s*(\S+)", text, re.I)
    if not (key and secret):
        sys.exit("cannot read key and secret from: " + text)
    print(key.group(1), secret.group(1))
') || { echo "could not read the client key/secret from: $CLIENT_OUT" >&2; exit 1; }

# --- the batteries -----------------------------------------------------------
status=0
for version in "${BATTERIES[@]}"; do
  start_server "$version"
  args=(-e "$ENDPOINT" -a -u "$KEY" -p "$SECRET" -x "$version")
  [ "${CONFORMANCE_ERRORS:-0}" = 1 ] && args+=(-z)
  [ -n "${CONFORMANCE_GREP:-}" ] && args+=(-g "$CONFORMANCE_GREP")
  runner_out="$OUT/runner-$version.out"
  start=$(date +%s.%N)
  (cd "$SUITE" && node bin/console_runner.js "${args[@]}") >"$runner_out" 2>&1 || true
  end=$(date +%s.%N)
  stop_server
  wall=$("$PY" -c "print(f'{$end - $start:.1f}')")
  log=$(sed -n 's/^Full run log written to \(.*\)$/\1/p' "$runner_out" | tail -1)
  if [ -z "$log" ] || [ ! -f "$log" ]; then
    echo "battery $version: the runner wrote no log (wall ${wall}s); its last output:"
    tail -20 "$runner_out"
    status=1
    continue
  fi
  cp "$log" "$OUT/suite-$version.log"
  if ! "$PY" - "$OUT/suite-$version.log" "$version" "$wall" "$OUT/failures-$version.md" <<'PY'; then
"""Print the counts of one battery and its failures grouped by spec section."""

import json
import sys
from pathlib import Path

log_path, version, wall, report_path = sys.argv[1:5]
record = json.loads(Path(log_path).read_text())
summary = record.get("summary") or {}
passed, failed, total = summary.get("passed") or 0, summary.get("failed") or 0, summary.get("total") or 0
state = record.get("state")
not_run = max(0, total - passed - failed)
extra = f"; {not_run} not run" if not_run else ""
print(f"battery {version}: passed {passed}, failed {failed} (of {total}{extra}; state {state}; wall {wall}s)")
Path(report_path).with_suffix(".counts").write_text(f"{passed} {failed}\n")


def failures(node, trail):
    """Yield (suite trail, failed node): tests that failed, and suites whose hook failed (they carry an error)."""
    if node.get("status") == "failed" and node.get("error"):
        yield trail, node
    for child in node.get("tests") or []:
        yield from failures(child, [*trail, node])


root = record.get("log") or {}
sections: dict[str, dict[str, list[tuple[str, str]]]] = {}
for trail, test in failures(root, []):
    names = [t.get("title") or "" for t in trail if t.get("title")]
    section = names[0] if names else "(suite setup, before any section)"
    requirement = names[-1] if len(names) > 1 else section
    error = (test.get("error") or "").strip().splitlines()
    sections.setdefault(section, {}).setdefault(requirement, []).append(
        (test.get("title") or "", error[0] if error else "")
    )

lines = [f"# Conformance failures, xAPI {version}: passed {passed}, failed {failed} of {total}", ""]
for section, requirements in sections.items():
    count = sum(len(t) for t in requirements.values())
    lines.append(f"## {section} — {count} failed")
    for requirement, tests in requirements.items():
        title, error = tests[0]
        more = f" (+{len(tests) - 1} more)" if len(tests) > 1 else ""
        lines.append(f"- {requirement}{more}")
        lines.append(f"    - first: {title} — {error}")
    lines.append("")
Path(report_path).write_text("\n".join(lines))
if sections:
    print("\n".join(lines))
sys.exit(0 if failed == 0 and passed > 0 and state == "finished" else 1)
PY
    status=1
  fi
done

# One closing line over every battery that wrote a log.
cat "$OUT"/failures-*.counts 2>/dev/null | awk '{p += $1; f += $2} END {printf "conformance: %d passed, %d failed\n", p, f}'
echo "reports and logs: $OUT"
exit "$status"
