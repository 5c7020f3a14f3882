#!/usr/bin/env bash
# Drive tenrec's Swift API with the real clients: python3-swiftclient's `swift`
# (stat/list/upload/download/post/copy/tempurl/delete, segmented uploads as
# DLO and SLO) and python-openstackclient's container/object commands.
# Run by test/e2e/run.sh, which starts the cloud and exports
# OS_CLIENT_CONFIG_FILE (tenrec's clouds.yaml, with the openrc beside it).
#
# Always /usr/bin/swift and /usr/bin/openstack: `python3` on PATH may be a
# pyenv interpreter that cannot load Debian's Python libraries.
set -euo pipefail

SWIFT=/usr/bin/swift
OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

OPENRC="$(dirname "$OS_CLIENT_CONFIG_FILE")/openrc"
for _ in $(seq 50); do [[ -s "$OPENRC" ]] && break; sleep 0.1; done
[[ -s "$OPENRC" ]] || { echo "no openrc beside $OS_CLIENT_CONFIG_FILE"; exit 1; }

WORK="$(mktemp -d /tmp/tenrec-swift.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
SUFFIX="$$-$RANDOM"
C="e2e-swift-$SUFFIX"
OC="e2e-osc-$SUFFIX"

STEP=0
PASSED=0
CURRENT=""
LAST_CMD=""
summary() {
  echo "swift CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "swift $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[swift %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: ${LAST_CMD}"
  [[ -s "$WORK/out" ]] && { echo "--- its output:"; cat "$WORK/out"; }
  [[ -s "$WORK/err" ]] && { echo "--- its stderr (last 30 lines):"; tail -n 30 "$WORK/err"; }
  echo "---"
  summary
  exit 1
}

# sw ARGS...: swift as admin (env from the openrc); stdout in $WORK/out.
sw() {
  LAST_CMD="swift $*"
  if ! (source "$OPENRC" admin admin && exec "$SWIFT" --auth-version 3 "$@") >"$WORK/out" 2>"$WORK/err"; then
    fail "the command exited non-zero"
  fi
}
# sw_demo ARGS...: swift as demo in project demo; may fail (the caller checks).
sw_demo() {
  LAST_CMD="swift (demo) $*"
  (source "$OPENRC" demo demo && exec "$SWIFT" --auth-version 3 "$@") >"$WORK/out" 2>"$WORK/err"
}
os() {
  LAST_CMD="openstack $*"
  if ! "$OS" "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "the command exited non-zero"
  fi
}
has_line() { grep -qxF -- "$1" "$WORK/out"; }
expect_line() { has_line "$1" || fail "no line '$1' in the output"; }
no_line() { has_line "$1" && fail "line '$1' should not be in the output" || true; }
# stat_field NAME: the value of "NAME: value" in `swift stat` output.
stat_field() { sed -n "s/^ *$1: //p" "$WORK/out" | head -n 1; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
same_file() { cmp -s "$1" "$2" || fail "$2 differs from $1"; }

echo "swift CLI ($("$SWIFT" --version 2>&1 | head -n 1)) against $(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)"

cd "$WORK"
head -c 3000 /dev/urandom >small.bin
head -c $((3 * 1024 * 1024)) /dev/urandom >big.bin
SMALL_MD5="$(md5sum small.bin | cut -d' ' -f1)"

step "swift stat shows the account and its counters"
sw stat
ACCOUNT="$(stat_field Account)"
[[ $ACCOUNT == AUTH_* ]] || fail "account '$ACCOUNT' is not AUTH_<project_id>"
[[ -n "$(stat_field Containers)" ]] || fail "no Containers line"
grep -q '^ *X-Trans-Id: tx[0-9a-f]\{21\}-[0-9a-f]\{10\}$' "$WORK/out" || fail "no well-formed X-Trans-Id"
ok

step "swift post $C creates the container; swift list shows it"
sw post "$C"
sw list
expect_line "$C"
ok

step "swift upload + list + stat (ETag is the MD5)"
sw upload "$C" small.bin
sw list "$C"
expect_line small.bin
sw stat "$C" small.bin
expect_eq "ETag" "$(stat_field ETag)" "$SMALL_MD5"
expect_eq "Content Length" "$(stat_field 'Content Length')" 3000
ok

step "swift download is byte-identical"
sw download "$C" small.bin -o small.out
same_file small.bin small.out
ok

step "swift post -m sets object metadata"
sw post -m color:blue "$C" small.bin
sw stat "$C" small.bin
expect_eq "Meta Color" "$(stat_field 'Meta Color')" blue
ok

step "swift copy, then download the copy"
sw copy -d "/$C/copied.bin" "$C" small.bin
sw list "$C"
expect_line copied.bin
sw download "$C" copied.bin -o copied.out
same_file small.bin copied.out
ok

step "swift upload --segment-size 1M (DLO) of 3 MiB, downloaded byte-identical"
sw upload --segment-size 1M "$C" big.bin --object-name big-dlo
sw stat "$C" big-dlo
[[ -n "$(stat_field Manifest)" ]] || fail "no Manifest (X-Object-Manifest) on the DLO"
expect_eq "Content Length" "$(stat_field 'Content Length')" $((3 * 1024 * 1024))
sw download "$C" big-dlo -o big-dlo.out
same_file big.bin big-dlo.out
sw list "${C}_segments"
expect_eq "DLO segments" "$(wc -l <"$WORK/out" | tr -d ' ')" 3
ok

step "swift upload --use-slo --segment-size 1M (SLO) of 3 MiB, downloaded byte-identical"
sw upload --use-slo --segment-size 1M "$C" big.bin --object-name big-slo
sw stat "$C" big-slo
expect_eq "X-Static-Large-Object" "$(stat_field X-Static-Large-Object)" True
expect_eq "Content Length" "$(stat_field 'Content Length')" $((3 * 1024 * 1024))
sw download "$C" big-slo -o big-slo.out
same_file big.bin big-slo.out
ok

step "swift tempurl GET, fetched without a token"
sw post -m "Temp-URL-Key:e2e-key-$SUFFIX"
sw tempurl GET 300 "/v1/$ACCOUNT/$C/small.bin" "e2e-key-$SUFFIX"
TEMPURL="$(cat "$WORK/out")"
STORAGE_URL="$(source "$OPENRC" admin admin && "$SWIFT" --auth-version 3 auth | sed -n 's/^export OS_STORAGE_URL=//p')"
BASE="${STORAGE_URL%%/v1/*}"
[[ -n "$BASE" ]] || fail "no storage URL from swift auth"
LAST_CMD="curl $BASE$TEMPURL"
code="$(curl -s -o tempurl.out -w '%{http_code}' "$BASE$TEMPURL")"
expect_eq "tempurl status" "$code" 200
same_file small.bin tempurl.out
code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE${TEMPURL/temp_url_sig=/temp_url_sig=0}")"
expect_eq "tampered tempurl status" "$code" 401
ok

step "another project (demo) is refused the admin account (403)"
if sw_demo --os-storage-url "$STORAGE_URL" list "$C"; then fail "demo listed admin's container"; fi
grep -q "403" "$WORK/err" || fail "no 403 in: $(cat "$WORK/err")"
ok

step "openstack container create / object create / list / save / delete"
os --os-cloud tenrec container create "$OC" -f value -c container
expect_line "$OC"
os --os-cloud tenrec object create "$OC" small.bin -f value -c object -c etag
expect_line "small.bin $SMALL_MD5"
os --os-cloud tenrec object list "$OC" -f value -c Name
expect_line small.bin
os --os-cloud tenrec object save --file saved.out "$OC" small.bin
same_file small.bin saved.out
os --os-cloud tenrec object delete "$OC" small.bin
os --os-cloud tenrec object list "$OC" -f value -c Name
no_line small.bin
os --os-cloud tenrec container delete "$OC"
os --os-cloud tenrec container list -f value -c Name
no_line "$OC"
ok

step "swift delete $C removes its objects, SLO segments included, and the container"
sw delete "$C"
sw delete "${C}_segments"
sw list
no_line "$C"
no_line "${C}_segments"
ok

summary
