#!/usr/bin/env bash
# Drive tenrec's Nova (servers side) with the real python-openstackclient: the
# "done when" flows of the compute issue. Run by test/e2e/run.sh, which starts
# the cloud and exports OS_CLIENT_CONFIG_FILE (clouds `tenrec` = admin,
# `tenrec-demo` = demo).
#
# Always /usr/bin/openstack (see openstack-cli.sh). Every call runs with
# --debug, its stderr kept aside for the failure report. Everything the script
# creates is deleted again, so the Tempest run after it starts clean.
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

AUTH_URL="${TENREC_E2E_AUTH_URL:-$(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)}"
WORK="$(mktemp -d /tmp/tenrec-compute-cli.XXXXXX)"
SUFFIX="$$-$RANDOM"
IMAGE="cirros-e2e-$SUFFIX"
KEY="key-e2e-$SUFFIX"
SERVER="vm-e2e-$SUFFIX"
SNAP="snap-e2e-$SUFFIX"

cleanup() {
  # Best effort: nothing of ours may be left for the Tempest run.
  "$OS" --os-cloud tenrec server delete --wait "$SERVER" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec image delete "$SNAP" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec image delete "$IMAGE" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec keypair delete "$KEY" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "compute CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then echo "compute-cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"; fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[compute %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: ${LAST_CMD:-}"
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
# os ARGS...: the CLI must succeed; its stdout lands in $WORK/out.
os() {
  LAST_CMD="openstack $*"
  if ! "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command exited non-zero"; fi
}
# os_fails ARGS...: the CLI must fail.
os_fails() {
  LAST_CMD="openstack $*"
  if "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command succeeded but should have failed"; fi
}
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_nonempty() { [[ -n "$2" ]] || fail "$1 is empty"; }
expect_grep() { grep -qE -- "$1" "$WORK/out" || fail "the output does not match /$1/"; }
expect_err() { grep -qE -- "$1" "$WORK/err" || fail "the error output does not match /$1/"; }
expect_no_grep() { ! grep -qE -- "$1" "$WORK/out" || fail "the output matches /$1/"; }

# wait_status STATUS: poll `server show` until the server has STATUS and no task.
wait_status() {
  local want="$1" st task
  for _ in $(seq 30); do
    os --os-cloud tenrec server show "$SERVER" -f shell -c status -c OS-EXT-STS:task_state
    st="$(field status)"
    task="$(sed -n 's/^os_ext_sts_task_state="\(.*\)"$/\1/p' "$WORK/out")"
    [[ $st == ERROR ]] && fail "the server went to ERROR"
    if [[ $st == "$want" && ( -z $task || $task == None ) ]]; then return 0; fi
    sleep 0.5
  done
  fail "status stayed '$st' (task '$task'), expected '$want'"
}

echo "openstack CLI (compute) against $AUTH_URL ($("$OS" --version 2>&1))"
head -c 65536 /dev/urandom >"$WORK/disk.raw"

# --- what a server needs ----------------------------------------------------------
step "image create $IMAGE and keypair create $KEY"
os --os-cloud tenrec image create --disk-format raw --container-format bare --file "$WORK/disk.raw" "$IMAGE" -f shell -c id
os --os-cloud tenrec image show "$IMAGE" -f shell -c status
expect_eq "image status" "$(field status)" active
os --os-cloud tenrec keypair create "$KEY" -f value
expect_grep "PRIVATE KEY"
ok

# --- boot ---------------------------------------------------------------------------
step "server create --image $IMAGE --flavor m1.tiny --key-name $KEY --wait → ACTIVE"
os --os-cloud tenrec server create --image "$IMAGE" --flavor m1.tiny --key-name "$KEY" --wait "$SERVER" -f shell \
  -c id -c status -c key_name -c flavor -c OS-EXT-STS:power_state -c OS-EXT-AZ:availability_zone
expect_eq "status" "$(field status)" ACTIVE
expect_eq "key_name" "$(field key_name)" "$KEY"
expect_grep '^flavor="m1.tiny \(1\)"'
expect_grep '^os_ext_sts_power_state="(1|Running)"'
expect_grep '^os_ext_az_availability_zone="nova"'
SERVER_ID="$(field id)"
ok

step "server list shows $SERVER, server show by name"
os --os-cloud tenrec server list -f value -c ID -c Name -c Status
expect_grep "^$SERVER_ID $SERVER ACTIVE$"
os --os-cloud tenrec server show "$SERVER" -f shell -c id -c hostId -c OS-EXT-SRV-ATTR:host
expect_eq "id" "$(field id)" "$SERVER_ID"
expect_nonempty "hostId" "$(field hostid)"
ok

# --- power actions -----------------------------------------------------------------
step "server stop → SHUTOFF"
os --os-cloud tenrec server stop "$SERVER"
wait_status SHUTOFF
ok

step "server stop again → 409 Cannot 'stop' instance while it is in vm_state stopped"
os_fails --os-cloud tenrec server stop "$SERVER"
expect_err "Cannot 'stop' instance $SERVER_ID while it is in vm_state stopped"
ok

step "server start → ACTIVE"
os --os-cloud tenrec server start "$SERVER"
wait_status ACTIVE
ok

step "server reboot --wait (soft), server reboot --hard --wait"
os --os-cloud tenrec server reboot --wait "$SERVER"
os --os-cloud tenrec server reboot --hard --wait "$SERVER"
wait_status ACTIVE
ok

step "server pause → PAUSED, unpause → ACTIVE"
os --os-cloud tenrec server pause "$SERVER"
wait_status PAUSED
os --os-cloud tenrec server unpause "$SERVER"
wait_status ACTIVE
ok

step "server suspend → SUSPENDED, resume → ACTIVE"
os --os-cloud tenrec server suspend "$SERVER"
wait_status SUSPENDED
os --os-cloud tenrec server resume "$SERVER"
wait_status ACTIVE
ok

# --- resize ------------------------------------------------------------------------
step "server resize --flavor m1.small --wait → VERIFY_RESIZE"
os --os-cloud tenrec server resize --flavor m1.small --wait "$SERVER"
wait_status VERIFY_RESIZE
ok

step "server resize confirm → ACTIVE with m1.small"
os --os-cloud tenrec server resize confirm "$SERVER"
wait_status ACTIVE
os --os-cloud tenrec server show "$SERVER" -f shell -c flavor
expect_grep '^flavor="m1.small \(2\)"'
ok

# --- snapshot, console --------------------------------------------------------------
step "server image create --name $SNAP --wait → an active image of the server"
os --os-cloud tenrec server image create --name "$SNAP" --wait "$SERVER" -f shell -c id -c status
os --os-cloud tenrec image show "$SNAP" -f shell -c status -c properties
expect_eq "snapshot status" "$(field status)" active
expect_grep "'instance_uuid': '$SERVER_ID'"
ok

step "console log show (the guest's serial console)"
os --os-cloud tenrec console log show "$SERVER"
expect_grep "login:"
os --os-cloud tenrec console log show --lines 2 "$SERVER"
[[ $(wc -l <"$WORK/out") -le 2 ]] || fail "--lines 2 printed $(wc -l <"$WORK/out") lines"
ok

step "server event list shows create, stop, start, reboot, resize"
os --os-cloud tenrec server event list "$SERVER" -f value -c Action
for a in create stop start reboot resize confirmResize createImage; do expect_grep "^$a$"; done
ok

# --- admin views --------------------------------------------------------------------
step "hypervisor list and hypervisor show (real usage)"
os --os-cloud tenrec hypervisor list -f value -c "Hypervisor Hostname" -c State
HYP="$(awk '{print $1; exit}' "$WORK/out")"
expect_nonempty "hypervisor" "$HYP"
expect_grep " up$"
os --os-cloud tenrec hypervisor show "$HYP" -f shell -c vcpus_used -c running_vms -c memory_mb_used
[[ "$(field running_vms)" -ge 1 ]] || fail "running_vms is $(field running_vms)"
[[ "$(field vcpus_used)" -ge 1 ]] || fail "vcpus_used is $(field vcpus_used)"
ok

step "compute service list: scheduler, conductor and compute up"
os --os-cloud tenrec compute service list -f value -c Binary -c State -c Status
for b in nova-scheduler nova-conductor nova-compute; do expect_grep "^$b enabled up$"; done
ok

step "availability zone list --compute shows nova available"
os --os-cloud tenrec availability zone list --compute -f value -c "Zone Name" -c "Zone Status"
expect_grep "^nova available$"
ok

step "usage list shows the server's hours"
os --os-cloud tenrec usage list -f value -c Project -c Servers
expect_grep "'instance_id': '$SERVER_ID'"
ok

# --- the demo project ---------------------------------------------------------------
step "demo sees none of admin's servers and cannot show one by id"
os --os-cloud tenrec-demo server list -f value -c ID
expect_no_grep "$SERVER_ID"
os_fails --os-cloud tenrec-demo server show "$SERVER_ID"
expect_err "No server with a name or ID of|could not be found"
ok

step "demo gets 403 on hypervisor list, compute service list, usage list and server list --all-projects"
os_fails --os-cloud tenrec-demo hypervisor list
expect_err "HTTP 403"
os_fails --os-cloud tenrec-demo compute service list
expect_err "403"
os_fails --os-cloud tenrec-demo usage list
expect_err "HTTP 403"
os_fails --os-cloud tenrec-demo server list --all-projects
expect_err "HTTP 403"
ok

# --- bad input ----------------------------------------------------------------------
step "server create with an unknown flavor or image → 400"
os_fails --os-cloud tenrec server create --image "$IMAGE" --flavor no-such-flavor "$SERVER-bad"
expect_err "No Flavor found|could not be found"
os_fails --os-cloud tenrec server create --image 00000000-0000-0000-0000-000000000000 --flavor m1.tiny "$SERVER-bad"
expect_err "No Image found|could not be found|Can not find requested image"
ok

# --- delete ------------------------------------------------------------------------
step "server delete --wait, then it is gone"
os --os-cloud tenrec server delete --wait "$SERVER"
os_fails --os-cloud tenrec server show "$SERVER_ID"
expect_err "No server with a name or ID of"
ok

step "image delete $SNAP $IMAGE, keypair delete $KEY"
os --os-cloud tenrec image delete "$SNAP" "$IMAGE"
os --os-cloud tenrec keypair delete "$KEY"
ok

summary
