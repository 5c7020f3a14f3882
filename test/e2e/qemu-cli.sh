#!/usr/bin/env bash
# Real guests with the real openstack CLI: a cloud of its own started with
# `--driver qemu` (the cloud run.sh starts uses the fake driver), the test image
# Glance has as cirros-0.6.3-x86_64-disk booted with a key and user data, with
# and without a config drive; the console log shows the guest's boot, its
# hostname and the user data's output; the console URL opens (noVNC page and
# its websocket's RFB greeting); stop is a clean ACPI shutdown; start, pause,
# unpause, reboot --hard; kill -9 of the qemu process turns the server SHUTOFF
# with the reason in `server event list`; delete.
#
# Skipped (exit 0, said loudly) without qemu-system-x86_64 or the cached test
# image (scripts/build-test-image.sh). Always /usr/bin/openstack.
set -euo pipefail

OS=/usr/bin/openstack
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OFF="${TENREC_QEMU_CLI_PORT_OFFSET:-3965}"
IMAGE_FILE="${TENREC_TEST_IMAGE:-${TENREC_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenrec/test-image}/tenrec-test-image.raw}"
BOOT_SECS="${TENREC_QEMU_BOOT_SECS:-90}"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v qemu-img >/dev/null; then
  echo "qemu CLI: SKIPPED (qemu-system-x86_64 / qemu-img not installed)"
  exit 0
fi
if [[ ! -f $IMAGE_FILE ]]; then
  echo "qemu CLI: SKIPPED (no test image at $IMAGE_FILE; run scripts/build-test-image.sh)"
  exit 0
fi
BUN="$(command -v bun || true)"
[[ -n $BUN ]] || { echo "qemu CLI: bun not on PATH"; exit 1; }

# Only our clouds.yaml may steer the client.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^OS_' || true)

WORK="$(mktemp -d /tmp/tenrec-qemu-cli.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  # --ephemeral powers the guests off; anything left is killed by its pid file
  for f in "$WORK"/data/instances/*/*/qemu.pid; do
    [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  if [[ -n ${TENREC_E2E_LOG_DIR:-} ]]; then cp "$WORK/server.log" "$TENREC_E2E_LOG_DIR/qemu-server.log" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "qemu CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then echo "qemu-cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"; fi
}
step() { STEP=$((STEP + 1)); CURRENT="$*"; printf '[qemu %2d] %s\n' "$STEP" "$CURRENT"; }
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: openstack ${LAST_CMD:-}"
  [[ -s "$WORK/out" ]] && { echo "--- its output:"; tail -n 40 "$WORK/out"; }
  if [[ -s "$WORK/err" ]]; then
    echo "--- its last HTTP exchanges (from --debug):"
    grep -E '^(REQ: |RESP: |RESP BODY: )' "$WORK/err" | tail -n 16 || true
  fi
  echo "--- server log tail:"; tail -n 20 "$WORK/server.log" || true
  echo "---"
  summary
  exit 1
}
os() {
  LAST_CMD="$*"
  "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err" || fail "the command exited non-zero"
  OUT="$(cat "$WORK/out")"
}
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }
# wait_status SERVER STATUS SECS
wait_status() {
  local s=""
  for _ in $(seq 1 "$3"); do
    s="$("$OS" --os-cloud tenrec-demo server show "$1" -f value -c status 2>/dev/null || true)"
    [[ $s == "$2" || $s == ERROR ]] && break
    sleep 1
  done
  [[ $s == "$2" ]] || { LAST_CMD="server show $1"; "$OS" --os-cloud tenrec-demo server show "$1" >"$WORK/out" 2>&1 || true; fail "status $s, expected $2"; }
}
# wait_console SERVER SECS TEXT...: the console log has every TEXT
wait_console() {
  local srv=$1 secs=$2; shift 2
  local end=$((SECONDS + secs)) missing
  while :; do
    "$OS" --os-cloud tenrec-demo console log show "$srv" >"$WORK/out" 2>"$WORK/err" || true
    missing=""
    for t in "$@"; do grep -qF -- "$t" "$WORK/out" || missing="$t"; done
    [[ -z $missing ]] && return 0
    ((SECONDS < end)) || { LAST_CMD="console log show $srv"; fail "console log has no '$missing'"; }
    sleep 2
  done
}

# --- the cloud ---------------------------------------------------------------
step "start tenrec --driver qemu (port offset $OFF)"
(cd "$ROOT" && exec "$BUN" src/main.ts up --ephemeral --driver qemu --port-offset "$OFF" --data-dir "$WORK/data") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do grep -q "ready in" "$WORK/server.log" && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
grep -q "ready in" "$WORK/server.log" || fail "tenrec did not start"
export OS_CLIENT_CONFIG_FILE="$WORK/data/clouds.yaml"
ok

step "flavor m1.nano (128 MB, 1 GB) and the test image are there"
os --os-cloud tenrec-demo flavor show m1.nano -f shell -c ram -c disk
[[ $(field ram) -ge 64 && $(field disk) -ge 1 ]] || fail "m1.nano is too small"
os --os-cloud tenrec-demo image show cirros-0.6.3-x86_64-disk -f value -c status
[[ $OUT == active ]] || fail "image status $OUT"
ok

step "keypair create k1"
ssh-keygen -q -t ed25519 -N '' -C qemu-cli -f "$WORK/key" >/dev/null
os --os-cloud tenrec-demo keypair create --public-key "$WORK/key.pub" k1 -f value -c name
ok

printf '#!/bin/sh\necho "user-data says $((6 * 7))"\n' >"$WORK/user-data.sh"

step "server create vm-md (metadata service) --wait → ACTIVE"
os --os-cloud tenrec-demo server create --image cirros-0.6.3-x86_64-disk --flavor m1.nano --network private \
  --key-name k1 --user-data "$WORK/user-data.sh" --wait vm-md -f shell -c status -c id
[[ $(field status) == ACTIVE ]] || fail "status $(field status)"
MD_ID="$(field id)"
ok

step "server create vm-cd --config-drive true --wait → ACTIVE"
os --os-cloud tenrec-demo server create --image cirros-0.6.3-x86_64-disk --flavor m1.nano --network private \
  --key-name k1 --user-data "$WORK/user-data.sh" --config-drive true --wait vm-cd -f shell -c status -c id
[[ $(field status) == ACTIVE ]] || fail "status $(field status)"
CD_ID="$(field id)"
ok

step "console log show vm-md: boot markers, metadata, hostname, key, user data"
wait_console vm-md "$BOOT_SECS" "TENREC-BOOT: ready" "TENREC-BOOT: metadata http://" "TENREC-BOOT: hostname vm-md" \
  "TENREC-BOOT: instance $MD_ID" "TENREC-BOOT: ssh-keys 1" "user-data says 42"
ok

step "console log show vm-cd: config drive, hostname, user data"
wait_console vm-cd "$BOOT_SECS" "TENREC-BOOT: ready" "TENREC-BOOT: config-drive" "TENREC-BOOT: hostname vm-cd" \
  "TENREC-BOOT: instance $CD_ID" "user-data says 42"
ok

step "console url show vm-md: the noVNC page and its websocket's RFB greeting"
os --os-cloud tenrec-demo console url show vm-md -f value -c url
URL="$OUT"
[[ $URL == *"/vnc_auto.html?path=%3Ftoken%3D"* ]] || fail "url $URL"
code="$(curl -s -o "$WORK/page" -w '%{http_code}' "$URL")"
[[ $code == 200 ]] && grep -q noVNC "$WORK/page" || fail "GET $URL: $code"
TOKEN="${URL##*%3Ftoken%3D}"
HOSTPORT="$(echo "$URL" | sed -E 's#^http://([^/]+)/.*#\1#')"
cat >"$WORK/ws.ts" <<'EOF'
const ws = new WebSocket(process.argv[2]!, ["binary"]);
ws.binaryType = "arraybuffer";
const t = setTimeout(() => { console.log("timeout"); process.exit(1); }, 15000);
ws.onmessage = (e) => { console.log(new TextDecoder().decode(e.data as ArrayBuffer).trim()); clearTimeout(t); process.exit(0); };
ws.onclose = () => { console.log("closed"); process.exit(1); };
EOF
greeting="$("$BUN" "$WORK/ws.ts" "ws://$HOSTPORT/?token=$TOKEN" || true)"
[[ $greeting == "RFB 003.008" ]] || fail "websocket said '$greeting'"
again="$("$BUN" "$WORK/ws.ts" "ws://$HOSTPORT/?token=$TOKEN" || true)"
[[ $again == closed ]] || fail "a used token was accepted again ('$again')"
ok

step "server add floating ip vm-md: a host port forward to the guest's ssh (key login)"
os --os-cloud tenrec-demo floating ip create public -f value -c floating_ip_address
FIP="$OUT"
os --os-cloud tenrec-demo server add floating ip vm-md "$FIP"
FWD=""
for _ in $(seq 1 20); do
  "$OS" --os-cloud tenrec-demo server show vm-md -f json -c properties -c addresses >"$WORK/out" 2>/dev/null || true
  FWD="$(sed -n "s/.*\"tenrec:forward:$FIP\": \"127\.0\.0\.1:\([0-9]*\)->22\/tcp\".*/\1/p" "$WORK/out")"
  [[ -n $FWD ]] && grep -qF "\"$FIP\"" "$WORK/out" && break
  sleep 1
done
LAST_CMD="server show vm-md"
[[ -n $FWD ]] || fail "no tenrec:forward:$FIP property"
grep -qF "\"$FIP\"" "$WORK/out" || fail "the floating IP is not in the addresses"
if command -v ssh >/dev/null; then
  LAST_CMD="ssh -p $FWD root@127.0.0.1 hostname"
  timeout 60 ssh -i "$WORK/key" -p "$FWD" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=30 \
    -o BatchMode=yes root@127.0.0.1 hostname >"$WORK/out" 2>"$WORK/err" || fail "ssh through the forward failed"
  [[ $(cat "$WORK/out") == vm-md ]] || fail "ssh said '$(cat "$WORK/out")'"
  # the same through `tenrec ssh SERVER`, which finds the forward in the server's metadata
  LAST_CMD="tenrec ssh vm-md -- hostname"
  (cd "$ROOT" && timeout 60 "$BUN" src/main.ts ssh vm-md --user demo --port-offset "$OFF" -i "$WORK/key" -- hostname) \
    >"$WORK/out" 2>"$WORK/err" || fail "tenrec ssh failed"
  [[ $(tail -n 1 "$WORK/out") == vm-md ]] || fail "tenrec ssh said '$(cat "$WORK/out")'"
fi
os --os-cloud tenrec-demo server remove floating ip vm-md "$FIP"
ok

step "server stop vm-md → SHUTOFF, a clean ACPI shutdown in the console log"
os --os-cloud tenrec-demo server stop vm-md
wait_status vm-md SHUTOFF 60
wait_console vm-md 10 "ACPI power button pressed" "reboot: Power down"
ok

step "server start vm-md → ACTIVE, boots again"
os --os-cloud tenrec-demo server start vm-md
wait_status vm-md ACTIVE 60
n_before="$(grep -c 'TENREC-BOOT: ready' "$WORK/out" || true)"
end=$((SECONDS + BOOT_SECS))
while :; do
  "$OS" --os-cloud tenrec-demo console log show vm-md >"$WORK/out" 2>/dev/null || true
  (($(grep -c 'TENREC-BOOT: ready' "$WORK/out" || true) > n_before)) && break
  ((SECONDS < end)) || fail "no second boot in the console log"
  sleep 2
done
ok

step "server pause / unpause vm-md"
os --os-cloud tenrec-demo server pause vm-md
wait_status vm-md PAUSED 30
os --os-cloud tenrec-demo server unpause vm-md
wait_status vm-md ACTIVE 30
ok

step "server reboot --hard --wait vm-md → ACTIVE"
os --os-cloud tenrec-demo server reboot --hard --wait vm-md
wait_status vm-md ACTIVE 30
ok

step "kill -9 of vm-md's qemu → SHUTOFF, the reason in server event list"
PIDFILE="$(ls "$WORK"/data/instances/*/"$MD_ID"/qemu.pid)"
kill -9 "$(cat "$PIDFILE")"
wait_status vm-md SHUTOFF 15
os --os-cloud tenrec-demo server event list vm-md -f value -c "Request ID" -c Action
REQ="$(awk '$2 == "stop" { print $1; exit }' "$WORK/out")"
[[ -n $REQ ]] || fail "no stop action"
os --os-cloud tenrec-demo server event show vm-md "$REQ" -f value -c message
[[ $OUT == *"qemu process exited unexpectedly"* ]] || fail "message '$OUT'"
ok

step "server delete --wait vm-md vm-cd; the guests are gone"
os --os-cloud tenrec-demo server delete --wait vm-md vm-cd
os --os-cloud tenrec-demo server list -f value -c Name
[[ -z $OUT ]] || fail "servers left: $OUT"
for f in "$WORK"/data/instances/*/*/qemu.pid; do
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && fail "a qemu process is still running ($f)"
done
ok

summary
