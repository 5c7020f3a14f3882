#!/usr/bin/env bash
# Run test/e2e/devstack/smoke.sh — a script written for DevStack, unchanged —
# against the cloud run.sh started, with DEVSTACK_PATH pointing at the
# directory holding tenrec's openrc (as `tenrec up --openrc-dir` writes it).
# The environment is cleaned of OS_* first, as in a fresh CI shell.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${OS_CLIENT_CONFIG_FILE:?run by test/e2e/run.sh}"
DEVSTACK_PATH="$(dirname "$OS_CLIENT_CONFIG_FILE")"
LOG="$(mktemp /tmp/tenrec-devstack.XXXXXX)"
# `openstack` on PATH must be Debian's (python3 on PATH may be another interpreter).
BIN="$(mktemp -d /tmp/tenrec-devstack-bin.XXXXXX)"
ln -s /usr/bin/openstack "$BIN/openstack"
trap 'rm -rf "$BIN" "$LOG"' EXIT
start=$SECONDS
if env -i HOME="$HOME" PATH="$BIN:/usr/bin:/bin" DEVSTACK_PATH="$DEVSTACK_PATH" bash "$ROOT/test/e2e/devstack/smoke.sh" >"$LOG" 2>&1; then
  echo "DevStack smoke script passed unchanged in $((SECONDS - start)) s"
  [[ -n "${TENREC_E2E_SUMMARY:-}" ]] && echo "devstack 1 0 0" >>"$TENREC_E2E_SUMMARY"
  exit 0
fi
echo "DevStack smoke script FAILED; its trace (last 40 lines):"
tail -n 40 "$LOG"
[[ -n "${TENREC_E2E_SUMMARY:-}" ]] && echo "devstack 0 1 0" >>"$TENREC_E2E_SUMMARY"
exit 1
