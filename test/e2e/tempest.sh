#!/usr/bin/env bash
# Run Tempest's identity and object-storage API tests against a running tenrec cloud.
# Run by test/e2e/run.sh (which starts the cloud); can be run alone against a
# cloud started by hand:
#
#   TENREC_E2E_AUTH_URL=http://127.0.0.1:5000/v3 bash test/e2e/tempest.sh
#
# Environment (all optional):
#   TENREC_E2E_AUTH_URL        identity v3 URL (default http://127.0.0.1:25000/v3)
#   TENREC_E2E_ADMIN_PASSWORD  admin's password (default secret)
#   TENREC_E2E_LOG_DIR         the workspace goes to $TENREC_E2E_LOG_DIR/tempest
#                              (default: a new /tmp/tenrec-e2e.XXXXXX); it is kept:
#                              logs/tempest.log has every HTTP request and response
#   TEMPEST_MIN_PASS           minimum % passed among non-skipped tests (default 85)
#   TEMPEST_CONCURRENCY        workers (default 2)
#   TEMPEST_INCLUDE_LIST       regex file (default test/tempest/include.txt)
#   TEMPEST_EXCLUDE_LIST       regex file (default test/tempest/exclude.txt)
#   TEMPEST_REGEX              run only the tests matching this regex instead
#                              (for chasing one failure; the include list is ignored)
#
# Uses Debian's tempest 33 (/usr/bin/tempest, /usr/bin/stestr) and Debian's
# /usr/bin/python3 for the summary; `python3` on PATH may be a pyenv
# interpreter that cannot load Debian's libraries.
#
# The last line printed is `N passed, M failed, K skipped`. Exits non-zero
# when the pass rate is below TEMPEST_MIN_PASS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AUTH_URL="${TENREC_E2E_AUTH_URL:-http://127.0.0.1:25000/v3}"
ADMIN_PASSWORD="${TENREC_E2E_ADMIN_PASSWORD:-secret}"
MIN_PASS="${TEMPEST_MIN_PASS:-85}"
CONCURRENCY="${TEMPEST_CONCURRENCY:-2}"
INCLUDE="${TEMPEST_INCLUDE_LIST:-$ROOT/test/tempest/include.txt}"
EXCLUDE="${TEMPEST_EXCLUDE_LIST:-$ROOT/test/tempest/exclude.txt}"
BASE="${TENREC_E2E_LOG_DIR:-$(mktemp -d /tmp/tenrec-e2e.XXXXXX)}"
WS="$BASE/tempest"
PY=/usr/bin/python3
TEMPEST=/usr/bin/tempest

log() { printf '[tempest %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

for tool in "$TEMPEST" /usr/bin/stestr "$PY"; do
  [[ -x $tool ]] || { log "missing $tool (apt-get install tempest)"; exit 1; }
done
# Absolute paths: the run happens inside the workspace.
INCLUDE="$(realpath "$INCLUDE")"
EXCLUDE="$(realpath "$EXCLUDE")"
for f in "$INCLUDE" "$EXCLUDE"; do
  [[ -r $f ]] || { log "cannot read $f"; exit 1; }
done

# --- the workspace -----------------------------------------------------------
# A workspace is just a directory with .stestr.conf and etc/tempest.conf; we
# write it ourselves rather than with `tempest init`, which also registers it
# in ~/.tempest/workspace.yaml.
rm -rf "$WS"
mkdir -p "$WS/etc" "$WS/logs" "$WS/lock"
cat >"$WS/.stestr.conf" <<EOF
[DEFAULT]
test_path=/usr/lib/python3/dist-packages/tempest/test_discover
top_dir=/usr/lib/python3/dist-packages/tempest
group_regex=([^\.]*\.)*
EOF

# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py
# (tempest 33).
cat >"$WS/etc/tempest.conf" <<EOF
[DEFAULT]
# debug: tempest.log then holds every request's headers and bodies.
debug = true
log_dir = $WS/logs
log_file = tempest.log

[oslo_concurrency]
lock_path = $WS/lock

[auth]
# Each test class gets its own project and user, created as admin.
use_dynamic_credentials = true
create_isolated_networks = false
admin_username = admin
admin_password = $ADMIN_PASSWORD
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default

[identity]
uri_v3 = $AUTH_URL
auth_version = v3
region = RegionOne
v3_endpoint_type = public
default_domain_id = default
admin_role = admin

[identity-feature-enabled]
# What tenrec's Keystone implements.
api_v2 = false
api_v2_admin = false
api_v3 = true
application_credentials = true
access_rules = false
trust = true
project_tags = true
security_compliance = false
domain_specific_drivers = false
# (tempest 33 has no external_idp option: federation tests live in the
# keystone plugin, which is not installed.)

[object-storage]
region = RegionOne
endpoint_type = public
operator_role = member
reseller_admin_role = ResellerAdmin

[object-storage-feature-enabled]
# The middlewares tenrec implements (what its /info advertises).
discoverable_apis = bulk_delete,bulk_upload,slo,tempurl
container_sync = false
object_versioning = false

[validation]
run_validation = false
EOF

# --- per-service sections ----------------------------------------------------------
# Each test/tempest/services/<name>.sh is run with AUTH_URL, ADMIN_PASSWORD, WS
# and ROOT in its environment (it may prepare the cloud, e.g. look up an image
# id); it prints its tempest.conf sections, and a line "# available: <svc>"
# for each [service_available] flag it turns on. TEMPEST_SERVICES (names,
# space-separated) limits which fragments run; default: all of them.
declare -A available=([swift]=true)
for frag in "$ROOT"/test/tempest/services/*.sh; do
  [[ -e $frag ]] || continue
  name="$(basename "$frag" .sh)"
  if [[ -n "${TEMPEST_SERVICES:-}" && " $TEMPEST_SERVICES " != *" $name "* ]]; then continue; fi
  if ! out="$(AUTH_URL="$AUTH_URL" ADMIN_PASSWORD="$ADMIN_PASSWORD" WS="$WS" ROOT="$ROOT" bash "$frag")"; then
    log "service fragment $name failed; its tests will not run"
    continue
  fi
  printf '\n%s\n' "$out" >>"$WS/etc/tempest.conf"
  while read -r svc; do available[$svc]=true; done < <(sed -nE 's/^# available: *([a-z_]+) *$/\1/p' <<<"$out")
done
{
  echo
  echo "[service_available]"
  for svc in nova cinder glance neutron swift horizon; do echo "$svc = ${available[$svc]:-false}"; done
} >>"$WS/etc/tempest.conf"
log "services available to Tempest: ${!available[*]}"

# The include and exclude lists: the base files plus each service's own
# (test/tempest/{include,exclude}.d/*.txt).
# An explicit TEMPEST_INCLUDE_LIST is taken alone.
shopt -s nullglob
if [[ -n "${TEMPEST_INCLUDE_LIST:-}" ]]; then cat "$INCLUDE" >"$WS/include.txt"; else cat "$INCLUDE" "$ROOT"/test/tempest/include.d/*.txt >"$WS/include.txt"; fi
cat "$EXCLUDE" "$ROOT"/test/tempest/exclude.d/*.txt >"$WS/exclude.txt"
shopt -u nullglob
INCLUDE="$WS/include.txt"
EXCLUDE="$WS/exclude.txt"

cd "$WS"
/usr/bin/stestr init >/dev/null

if [[ -n "${TEMPEST_REGEX:-}" ]]; then
  select_args=(--regex "$TEMPEST_REGEX")
else
  select_args=(--include-list "$INCLUDE")
fi
select_args+=(--exclude-list "$EXCLUDE")

# The tests that will run: the summary counts the tests of a class whose
# setUpClass failed, which unittest never reports one by one.
if ! "$TEMPEST" run --list-tests "${select_args[@]}" >"$WS/selected.raw" 2>&1; then
  log "tempest run --list-tests failed:"
  cat "$WS/selected.raw"
  exit 1
fi
grep '^tempest\.' "$WS/selected.raw" >"$WS/selected.txt" || true
log "workspace $WS; $(wc -l <"$WS/selected.txt") tests selected; concurrency $CONCURRENCY; identity $AUTH_URL"

# --- run -------------------------------------------------------------------------------
# Full output (with each failure's traceback) goes to run.log; the console
# gets one line per test.
log "running (full output in $WS/run.log)"
set +e
"$TEMPEST" run "${select_args[@]}" --concurrency "$CONCURRENCY" 2>&1 |
  tee "$WS/run.log" | grep --line-buffered -E '^\{[0-9]+\} '
set -e

# --- results --------------------------------------------------------------------------
if ! /usr/bin/stestr last --subunit >"$WS/results.subunit" 2>"$WS/stestr-last.err"; then
  log "no results from the run; the end of run.log:"
  tail -n 40 "$WS/run.log"
  exit 1
fi
log "tempest.log (requests and responses): $WS/logs/tempest.log"
set +e
"$PY" "$ROOT/test/e2e/tempest_summary.py" "$WS/selected.txt" "$MIN_PASS" "$WS/logs/tempest.log" <"$WS/results.subunit" | tee "$WS/summary.txt"
rc=${PIPESTATUS[0]}
set -e
if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
  # "N passed, M failed, K skipped" -> "tempest N M K"
  tail -n 1 "$WS/summary.txt" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/tempest \1 \2 \3/' >>"$TENREC_E2E_SUMMARY"
fi
exit "$rc"
