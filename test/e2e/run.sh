#!/usr/bin/env bash
# End-to-end stage: start a throw-away tenrec cloud and drive it with real
# clients (python-openstackclient, then Tempest's identity suite).
#
#   bash test/e2e/run.sh
#
# Environment (all optional):
#   TENREC_E2E_PORT_OFFSET  port offset for the cloud (default 20000: identity
#                           on 25000), so it does not clash with a dev cloud
#   TENREC_E2E_LOG_DIR      where server.log and the Tempest workspace go
#                           (default: a new /tmp/tenrec-e2e.XXXXXX, kept after
#                           the run so tempest.log can be read)
#   TENREC_E2E_ONLY         "cli" or "tempest" to run one of the two suites
#   TENREC_E2E_SUMMARY      file to which each suite appends "suite passed
#                           failed skipped" (used by .ci/run for its total)
#   TENREC_E2E_BIN          an executable to test instead of `bun src/main.ts`
#   TENREC_E2E_UP_ARGS      extra options for `tenrec up`
#   TENREC_E2E_CLI          names of the CLI scripts to run (e.g. "image compute")
#   TEMPEST_MIN_PASS        see test/e2e/tempest.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

OFFSET="${TENREC_E2E_PORT_OFFSET:-20000}"
IDENTITY_PORT=$((5000 + OFFSET))
AUTH_URL="http://127.0.0.1:${IDENTITY_PORT}/v3"
LOG_DIR="${TENREC_E2E_LOG_DIR:-$(mktemp -d /tmp/tenrec-e2e.XXXXXX)}"
mkdir -p "$LOG_DIR"
SERVER_LOG="$LOG_DIR/server.log"
DATA_DIR="$(mktemp -d /tmp/tenrec-e2e-data.XXXXXX)"   # --ephemeral removes it on exit

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Is the identity version document answering? curl where there is one (a
# clean CI machine may lack it), else a one-line bun fetch.
identity_up() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 1 "$AUTH_URL"
  else
    bun -e 'try { const r = await fetch(process.argv.at(-1), { signal: AbortSignal.timeout(1000) }); process.exit(r.ok ? 0 : 1) } catch { process.exit(1) }' "$AUTH_URL"
  fi
}

if identity_up 2>/dev/null; then
  log "something already answers on $AUTH_URL: stop it or set TENREC_E2E_PORT_OFFSET"
  exit 1
fi

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping tenrec (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Give it 5 s to shut down (and remove its ephemeral data dir), then force.
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "tenrec did not stop on SIGTERM; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting tenrec: port offset $OFFSET, data dir $DATA_DIR, log $SERVER_LOG"
# TENREC_E2E_UP_ARGS: extra options for `tenrec up` (e.g. "--compute-hosts 3").
# TENREC_E2E_BIN: run this executable (e.g. dist/tenrec from `bun run build`) instead of `bun src/main.ts`.
if [[ -n "${TENREC_E2E_BIN:-}" ]]; then TENREC_CMD=("$(realpath "$TENREC_E2E_BIN")"); else TENREC_CMD=(bun src/main.ts); fi
log "tenrec command: ${TENREC_CMD[*]}"
# shellcheck disable=SC2086
"${TENREC_CMD[@]}" up --data-dir "$DATA_DIR" --ephemeral --port-offset "$OFFSET" ${TENREC_E2E_UP_ARGS:-} >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# Wait up to ~15 s for GET /v3 to answer.
ready=0
for _ in $(seq 150); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "tenrec exited before it was ready; its output:"
    cat "$SERVER_LOG"
    exit 1
  fi
  if identity_up 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  log "tenrec did not answer $AUTH_URL within 15 s; its output:"
  cat "$SERVER_LOG"
  exit 1
fi
# clouds.yaml is written just before the "ready" line; wait for it briefly.
for _ in $(seq 50); do [[ -s "$DATA_DIR/clouds.yaml" ]] && break; sleep 0.1; done
[[ -s "$DATA_DIR/clouds.yaml" ]] || { log "no $DATA_DIR/clouds.yaml"; cat "$SERVER_LOG"; exit 1; }
sed 's/^/  | /' "$SERVER_LOG"

export OS_CLIENT_CONFIG_FILE="$DATA_DIR/clouds.yaml"
export TENREC_E2E_AUTH_URL="$AUTH_URL"
export TENREC_E2E_LOG_DIR="$LOG_DIR"

rc_cli=0
failed_cli=()
rc_tempest=0
only="${TENREC_E2E_ONLY:-all}"
if [[ $only == all || $only == cli ]]; then
  # The base flows first, then each service's own test/e2e/<service>-cli.sh.
  # TENREC_E2E_CLI (names, e.g. "image compute") runs only those scripts.
  scripts=(openstack-cli swift-cli s3-cli)
  for f in "$ROOT"/test/e2e/*-cli.sh; do
    n="$(basename "$f" .sh)"
    [[ " ${scripts[*]} " == *" $n "* ]] || scripts+=("$n")
  done
  for n in "${scripts[@]}"; do
    if [[ -n "${TENREC_E2E_CLI:-}" && " $TENREC_E2E_CLI " != *" ${n%-cli} "* ]]; then continue; fi
    log "=== $n.sh ==="
    bash "$ROOT/test/e2e/$n.sh" || { rc_cli=$?; log "$n.sh failed (exit $rc_cli)"; failed_cli+=("$n"); }
  done
fi
if [[ $only == all || $only == tempest ]]; then
  log "=== Tempest identity suite ==="
  bash "$ROOT/test/e2e/tempest.sh" || rc_tempest=$?
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "tenrec died during the run; last lines of its log:"
  tail -n 50 "$SERVER_LOG"
  exit 1
fi

log "logs kept in $LOG_DIR (server.log, tempest/logs/tempest.log, tempest/run.log)"
if [[ $rc_cli != 0 || $rc_tempest != 0 ]]; then
  log "FAILED: CLI flows failed: ${failed_cli[*]:-none}; tempest.sh exit $rc_tempest"
  # The server's own errors and its 5xx answers are often the quickest clue.
  # (Access log lines look like "… INFO [identity] req-… GET /v3 200 0.8ms".)
  if grep -qE ' (ERROR|WARN) | 5[0-9][0-9] [0-9.]+ms$' "$SERVER_LOG"; then
    log "errors, warnings and 5xx answers in server.log (last 30):"
    grep -E ' (ERROR|WARN) | 5[0-9][0-9] [0-9.]+ms$' "$SERVER_LOG" | tail -n 30
  fi
  exit 1
fi
log "e2e passed"
