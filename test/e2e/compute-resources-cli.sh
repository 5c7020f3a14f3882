#!/usr/bin/env bash
# Drive Nova's API-database resources (flavors, key pairs, quotas, limits,
# server groups) with the real python-openstackclient: the "done when" flows
# of the compute issue that do not need a server. Run by test/e2e/run.sh,
# which starts the cloud and exports OS_CLIENT_CONFIG_FILE (clouds `tenrec` =
# admin, `tenrec-demo` = demo).
#
# Always /usr/bin/openstack (see openstack-cli.sh). Every call runs with
# --debug, its stderr kept aside for the failure report. Everything the script
# creates is deleted again (and demo's quota restored), so the Tempest run
# after it starts clean.
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

AUTH_URL="${TENREC_E2E_AUTH_URL:-$(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)}"
WORK="$(mktemp -d /tmp/tenrec-compute-resources-cli.XXXXXX)"
SUFFIX="$$-$RANDOM"
FLAVOR="e2e.flavor-$SUFFIX"
PRIVATE="e2e.private-$SUFFIX"
KEY_GEN="e2e-keygen-$SUFFIX"
KEY_IMP="e2e-keyimp-$SUFFIX"
GROUP="e2e-group-$SUFFIX"
DEMO_INSTANCES=""

# Tempest's RSA test key (tempest/api/compute/keypairs/test_keypairs.py) and
# its MD5 fingerprint, as `ssh-keygen -l -E md5` prints it.
PUB_KEY="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsNe3/1ILNCqFyfYWDeTKLD6jEXC2OQHLmietMWW+/vdaZq7KZEwO0jhglaFjU1mpqq4Gz5RX156sCTNM9vRbwKAxfsdF9laBYVsex3m3Wmui3uYrKyumsoJn2g9GNnG1PI1mrVjZ61i0GY3khna+wzlTpCCmy5HNlrmbj3XLqBUpipTOXmsnr4sChzC53KCd8LXuwc1i/CZPvF+3XipvAgFSE53pCtLOeB1kYMOBaiUPLQTWXR3JpckqFIQwhIH0zoHlJvZE8hh90XcPojYN56tI0OlrGqojbediJYD0rUsJu4weZpbn8vilb3JuDY+jwssnSA8wzBx3A/8y9Pp1B nova@ubuntu"
PUB_FP="61:5f:fe:c7:e0:fd:d7:4a:2b:52:6e:a6:f5:bf:da:27"

cleanup() {
  # Best effort: nothing of ours may be left for the Tempest run.
  "$OS" --os-cloud tenrec flavor delete "$FLAVOR" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec flavor delete "$PRIVATE" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec keypair delete "$KEY_GEN" "$KEY_IMP" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec server group delete "$GROUP" >/dev/null 2>&1 || true
  if [[ -n $DEMO_INSTANCES ]]; then "$OS" --os-cloud tenrec quota set --instances "$DEMO_INSTANCES" demo >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "compute-resources CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then echo "compute-resources-cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"; fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[compute-resources %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: openstack ${LAST_CMD:-}"
  if [[ -s "$WORK/out" ]]; then echo "--- its output:"; head -c 4000 "$WORK/out"; echo; fi
  if [[ -s "$WORK/err" ]]; then
    echo "--- its last HTTP exchanges (from --debug):"
    grep -E '^(REQ: |RESP: |RESP BODY: |http://[^ ]+ ")' "$WORK/err" | tail -n 24 || true
    echo "--- its last messages:"
    grep -vE '^( |Traceback|During handling|$)' "$WORK/err" | tail -n 4 || true
  fi
  echo "---"
  summary
  exit 1
}

# os ARGS...: run the CLI (stdout in $OUT); fails the step on a non-zero exit.
os() {
  LAST_CMD="$*"
  if ! "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command exited non-zero"; fi
  OUT="$(cat "$WORK/out")"
}
# os_refused STATUS ARGS...: the CLI must fail, and the API must have answered STATUS.
os_refused() {
  local status="$1"
  shift
  LAST_CMD="$*"
  if "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command succeeded; expected HTTP $status"; fi
  grep -qE "HTTP/1\.[01]\" $status|\(HTTP $status\)" "$WORK/err" || fail "no HTTP $status answer in the log"
}
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }
has_line() { grep -qxF -- "$1" "$WORK/out"; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_nonempty() { [[ -n "$2" ]] || fail "$1 is empty"; }
expect_line() { has_line "$1" || fail "no line '$1' in the output"; }

echo "compute resources via the openstack CLI against $AUTH_URL"

# --- flavors --------------------------------------------------------------------------------
step "flavor list shows the seed's m1.tiny … m1.xlarge (ids 1-5)"
os --os-cloud tenrec flavor list -f value -c ID -c Name -c RAM -c Disk -c VCPUs
expect_line "1 m1.tiny 512 0 1"
expect_line "2 m1.small 2048 20 1"
expect_line "3 m1.medium 4096 40 2"
expect_line "4 m1.large 8192 80 4"
expect_line "5 m1.xlarge 16384 160 8"
ok

step "flavor create $FLAVOR (with a property and a description)"
os --os-cloud tenrec flavor create "$FLAVOR" --ram 256 --vcpus 2 --disk 3 --ephemeral 1 --swap 128 \
  --property hw:cpu_policy=shared --description "e2e flavor" -f shell
FLAVOR_ID="$(field id)"
expect_nonempty "flavor id" "$FLAVOR_ID"
expect_eq "ram" "$(field ram)" "256"
expect_eq "vcpus" "$(field vcpus)" "2"
expect_eq "swap" "$(field swap)" "128"
expect_eq "is_public" "$(field os_flavor_access_is_public)" "True"
ok

step "flavor set --property, then flavor show by name has both properties and the description"
os --os-cloud tenrec flavor set --property hw:numa_nodes=1 "$FLAVOR"
os --os-cloud tenrec flavor show "$FLAVOR" -f json -c id -c properties -c description -c OS-FLV-EXT-DATA:ephemeral
/usr/bin/python3 - "$WORK/out" "$FLAVOR_ID" <<'PY' || fail "flavor show: unexpected body"
import json, sys
f = json.load(open(sys.argv[1]))
assert f["id"] == sys.argv[2], f
assert f["properties"] == {"hw:cpu_policy": "shared", "hw:numa_nodes": "1"}, f["properties"]
assert f["description"] == "e2e flavor", f
assert f["OS-FLV-EXT-DATA:ephemeral"] == 1, f
PY
ok

step "flavor create --private --project demo: demo sees it, admin's default list does not"
os --os-cloud tenrec flavor create "$PRIVATE" --private --project demo --ram 128 --vcpus 1 --disk 1 -f shell
expect_eq "is_public" "$(field os_flavor_access_is_public)" "False"
os --os-cloud tenrec-demo flavor list -f value -c Name
expect_line "$PRIVATE"
os --os-cloud tenrec flavor list -f value -c Name
has_line "$PRIVATE" && fail "admin's public list shows the private flavor"
os --os-cloud tenrec flavor list --all -f value -c Name
expect_line "$PRIVATE"
ok

step "as demo: flavor create is refused (403)"
os_refused 403 --os-cloud tenrec-demo flavor create "e2e-denied-$SUFFIX" --ram 64 --vcpus 1 --disk 0
ok

step "flavor delete $FLAVOR and $PRIVATE; show then fails"
os --os-cloud tenrec flavor delete "$FLAVOR" "$PRIVATE"
os_refused 404 --os-cloud tenrec flavor show "$FLAVOR_ID"
ok

# --- key pairs --------------------------------------------------------------------------------
step "keypair create $KEY_GEN (generated: the private key is printed)"
os --os-cloud tenrec keypair create "$KEY_GEN"
head -n 1 "$WORK/out" | grep -qx -- "-----BEGIN RSA PRIVATE KEY-----" || fail "no PEM private key printed"
ok

step "keypair create --public-key $KEY_IMP: Nova's MD5 fingerprint"
printf '%s\n' "$PUB_KEY" >"$WORK/key.pub"
os --os-cloud tenrec keypair create --public-key "$WORK/key.pub" "$KEY_IMP" -f shell
expect_eq "fingerprint" "$(field fingerprint)" "$PUB_FP"
expect_eq "type" "$(field type)" "ssh"
ok

step "keypair list and show; demo does not see admin's key pairs"
os --os-cloud tenrec keypair list -f value -c Name -c Fingerprint
expect_line "$KEY_IMP $PUB_FP"
grep -q "^$KEY_GEN " "$WORK/out" || fail "$KEY_GEN not listed"
os --os-cloud tenrec keypair show "$KEY_IMP" -f shell -c name -c fingerprint -c user_id
expect_eq "fingerprint" "$(field fingerprint)" "$PUB_FP"
expect_nonempty "user_id" "$(field user_id)"
os --os-cloud tenrec keypair show --public-key "$KEY_IMP"
expect_line "$PUB_KEY"
os --os-cloud tenrec-demo keypair list -f value -c Name
grep -q "$KEY_IMP" "$WORK/out" && fail "demo sees admin's key pair"
ok

step "keypair delete both; show then fails (404)"
os --os-cloud tenrec keypair delete "$KEY_GEN" "$KEY_IMP"
os_refused 404 --os-cloud tenrec keypair show "$KEY_IMP"
ok

# --- quotas and limits ------------------------------------------------------------------------------
step "quota show demo (compute defaults)"
os --os-cloud tenrec quota show demo -f json
DEMO_INSTANCES="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"])' "$WORK/out")"
/usr/bin/python3 - "$WORK/out" <<'PY' || fail "quota show: unexpected compute quotas"
import json, sys
q = json.load(open(sys.argv[1]))
for k in ("instances", "cores", "ram", "key-pairs", "server-groups", "server-group-members"):
    assert isinstance(q.get(k), int), (k, q.get(k))
PY
ok

step "quota set --instances 17 demo; quota show demo has it"
os --os-cloud tenrec quota set --instances 17 demo
os --os-cloud tenrec quota show demo -f json
expect_eq "instances" "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"])' "$WORK/out")" "17"
ok

step "limits show --absolute as demo: maxTotalInstances 17 and the usage counters"
os --os-cloud tenrec-demo limits show --absolute -f value -c Name -c Value
expect_line "maxTotalInstances 17"
grep -qE '^totalInstancesUsed [0-9]+$' "$WORK/out" || fail "no totalInstancesUsed"
grep -qE '^maxTotalRAMSize [0-9-]+$' "$WORK/out" || fail "no maxTotalRAMSize"
ok

step "as demo: quota set is refused (403)"
os_refused 403 --os-cloud tenrec-demo quota set --instances 1000 demo
ok

step "quota set --instances back to $DEMO_INSTANCES"
os --os-cloud tenrec quota set --instances "$DEMO_INSTANCES" demo
DEMO_INSTANCES=""
ok

# --- server groups --------------------------------------------------------------------------------------
step "server group create $GROUP --policy anti-affinity"
os --os-cloud tenrec server group create "$GROUP" --policy anti-affinity -f shell
GROUP_ID="$(field id)"
expect_nonempty "server group id" "$GROUP_ID"
expect_eq "policy" "$(field policy)" "anti-affinity"
ok

step "server group list shows it (not to demo); show by name"
os --os-cloud tenrec server group list -f value -c ID -c Name -c Policy
expect_line "$GROUP_ID $GROUP anti-affinity"
os --os-cloud tenrec-demo server group list -f value -c ID
grep -q "$GROUP_ID" "$WORK/out" && fail "demo sees admin's server group"
os --os-cloud tenrec server group show "$GROUP" -f shell -c id -c members
expect_eq "id" "$(field id)" "$GROUP_ID"
ok

step "server group delete; show then fails (404)"
os --os-cloud tenrec server group delete "$GROUP"
os_refused 404 --os-cloud tenrec server group show "$GROUP_ID"
ok

summary
