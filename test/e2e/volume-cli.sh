#!/usr/bin/env bash
# Drive tenrec's Cinder v3 with the real python-openstackclient: volume types,
# create/list/show/set, extend, snapshots, volumes from a snapshot and from an
# image, quotas (and a create over quota), bad input that must leave the volume
# as it was, and cleanup. Run by test/e2e/run.sh, which starts the cloud and
# exports OS_CLIENT_CONFIG_FILE (clouds `tenrec` and `tenrec-demo`).
#
# Always /usr/bin/openstack (see openstack-cli.sh). Every call runs with
# --debug, its stderr kept aside for the failure report. Everything it creates
# it deletes again, so the Tempest run after it starts from a clean cloud.
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

WORK="$(mktemp -d /tmp/tenrec-volume-cli.XXXXXX)"
SUFFIX="$$-$RANDOM"
TYPE="e2e-type-$SUFFIX"
VOL="e2e-vol-$SUFFIX"
SNAP="e2e-snap-$SUFFIX"
VOL_FROM_SNAP="e2e-vol-snap-$SUFFIX"
VOL_FROM_IMAGE="e2e-vol-image-$SUFFIX"
IMAGE="e2e-vol-img-$SUFFIX"

STEP=0
PASSED=0
CURRENT=""
# What to delete on exit (also after a failure): "kind id" lines, last first.
CLEANUP=()

cleanup() {
  local i kind id
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
    read -r kind id <<<"${CLEANUP[$i]}"
    case $kind in
      volume) "$OS" --os-cloud tenrec volume delete --force "$id" >/dev/null 2>&1 || "$OS" --os-cloud tenrec volume delete "$id" >/dev/null 2>&1 || true ;;
      snapshot) "$OS" --os-cloud tenrec volume snapshot delete "$id" >/dev/null 2>&1 || true ;;
      type) "$OS" --os-cloud tenrec volume type delete "$id" >/dev/null 2>&1 || true ;;
      image) "$OS" --os-cloud tenrec image delete "$id" >/dev/null 2>&1 || true ;;
      quota) "$OS" --os-cloud tenrec quota set --volumes 10 --gigabytes 1000 --snapshots 10 "$id" >/dev/null 2>&1 || true ;;
      server) "$OS" --os-cloud tenrec server delete --wait "$id" >/dev/null 2>&1 || true ;;
    esac
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

summary() {
  echo "volume CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[volume-cli %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: openstack ${LAST_CMD:-}"
  if [[ -s "$WORK/out" ]]; then
    echo "--- its output:"
    cat "$WORK/out"
  fi
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
os() {
  LAST_CMD="$*"
  if ! "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "the command exited non-zero"
  fi
  OUT="$(cat "$WORK/out")"
}
# os_fails ARGS...: the command must fail; its stderr is in $ERR.
os_fails() {
  LAST_CMD="$*"
  if "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "the command succeeded but should have failed"
  fi
  ERR="$(grep -vE '^(REQ: |RESP: |RESP BODY: |http://| |Traceback|During handling|$)' "$WORK/err" | tail -n 3)"
}
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }
has_line() { grep -qxF -- "$1" "$WORK/out"; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_nonempty() { [[ -n "$2" ]] || fail "$1 is empty"; }
expect_line() { has_line "$1" || fail "no line '$1' in the output"; }
expect_contains() { [[ "$2" == *"$3"* ]] || fail "$1: '$2' does not contain '$3'"; }

# wait_status KIND ID STATUS: poll `volume [snapshot] show` until STATUS (error fails at once).
wait_status() {
  local kind=$1 id=$2 want=$3 got=""
  local cmd=(volume show)
  [[ $kind == snapshot ]] && cmd=(volume snapshot show)
  for _ in $(seq 40); do
    os --os-cloud tenrec "${cmd[@]}" "$id" -f value -c status
    got="$OUT"
    [[ $got == "$want" ]] && return 0
    [[ $got == error* ]] && fail "$kind $id went to $got while waiting for $want"
    sleep 0.5
  done
  fail "$kind $id is $got, not $want, after 20 s"
}

echo "volume CLI against $(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)"

# --- types --------------------------------------------------------------------------
step "volume type list shows the default type"
os --os-cloud tenrec volume type list -f value -c Name
expect_line "__DEFAULT__"
ok

step "volume type create $TYPE with a property"
os --os-cloud tenrec volume type create "$TYPE" --description "tenrec e2e" --property e2e=yes -f shell -c id -c name -c properties
TYPE_ID="$(field id)"
expect_nonempty "type id" "$TYPE_ID"
CLEANUP+=("type $TYPE_ID")
expect_eq "type name" "$(field name)" "$TYPE"
expect_contains "type properties" "$(field properties)" "e2e"
ok

# --- create, list, show, set ------------------------------------------------------
step "volume create --size 1 --type $TYPE $VOL (answers at once, then available)"
os --os-cloud tenrec volume create --size 1 --type "$TYPE" --property purpose=e2e "$VOL" -f shell -c id -c size -c type
VOL_ID="$(field id)"
expect_nonempty "volume id" "$VOL_ID"
CLEANUP+=("volume $VOL_ID")
expect_eq "size" "$(field size)" "1"
expect_eq "type" "$(field type)" "$TYPE"
wait_status volume "$VOL_ID" available
ok

step "volume list shows $VOL available"
os --os-cloud tenrec volume list -f value -c ID -c Name -c Status -c Size
expect_line "$VOL_ID $VOL available 1"
ok

step "volume show by name: properties, bootable, availability zone"
os --os-cloud tenrec volume show "$VOL" -f shell -c id -c properties -c bootable -c availability_zone -c status
expect_eq "id" "$(field id)" "$VOL_ID"
expect_contains "properties" "$(field properties)" "'purpose': 'e2e'"
expect_eq "bootable" "$(field bootable)" "false"
expect_eq "availability_zone" "$(field availability_zone)" "nova"
ok

step "volume set --description --property --no-property"
os --os-cloud tenrec volume set --description "changed by e2e" --property stage=two "$VOL_ID"
os --os-cloud tenrec volume show "$VOL_ID" -f shell -c description -c properties
expect_eq "description" "$(field description)" "changed by e2e"
expect_contains "properties" "$(field properties)" "'stage': 'two'"
ok

# --- extend, and an extend to a smaller size that must change nothing --------------
step "volume set --size 2 extends it (extending, then available at 2 GiB)"
os --os-cloud tenrec volume set --size 2 "$VOL_ID"
wait_status volume "$VOL_ID" available
os --os-cloud tenrec volume show "$VOL_ID" -f value -c size
expect_eq "size after extend" "$OUT" "2"
ok

step "volume set --size 1 (smaller) is refused and the volume stays at 2 GiB, available"
# The CLI itself refuses a smaller size before asking the API; ask the API directly too.
os_fails --os-cloud tenrec volume set --size 1 "$VOL_ID"
# One token straight from Keystone (admin's password from clouds.yaml; cheaper than two CLI calls).
read -r TOKEN CINDER < <(/usr/bin/python3 - "$OS_CLIENT_CONFIG_FILE" <<'PY'
import json, sys, urllib.request, yaml
a = yaml.safe_load(open(sys.argv[1]))["clouds"]["tenrec"]["auth"]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": a["username"], "domain": {"name": a["user_domain_name"]}, "password": str(a["password"])}}},
                 "scope": {"project": {"name": a["project_name"], "domain": {"name": a["project_domain_name"]}}}}}
req = urllib.request.Request(a["auth_url"].rstrip("/") + "/auth/tokens", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    tok = r.headers["X-Subject-Token"]
    cat = json.load(r)["token"]["catalog"]
url = [e["url"] for s in cat if s["type"] == "volumev3" for e in s["endpoints"] if e["interface"] == "public"][0]
print(tok, url)
PY
)
expect_nonempty "token" "$TOKEN"
expect_nonempty "volumev3 endpoint" "$CINDER"
code="$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  -d '{"os-extend": {"new_size": 1}}' "$CINDER/volumes/$VOL_ID/action")"
expect_eq "HTTP status of a shrinking os-extend" "$code" "400"
expect_contains "Cinder's fault body" "$(cat "$WORK/body")" '"badRequest"'
os --os-cloud tenrec volume show "$VOL_ID" -f shell -c size -c status
expect_eq "size" "$(field size)" "2"
expect_eq "status" "$(field status)" "available"
ok

# --- snapshots --------------------------------------------------------------------
step "volume snapshot create $SNAP"
os --os-cloud tenrec volume snapshot create --volume "$VOL_ID" --description "e2e" "$SNAP" -f shell -c id -c size
SNAP_ID="$(field id)"
expect_nonempty "snapshot id" "$SNAP_ID"
CLEANUP+=("snapshot $SNAP_ID")
expect_eq "snapshot size" "$(field size)" "2"
wait_status snapshot "$SNAP_ID" available
ok

step "volume snapshot list shows it"
os --os-cloud tenrec volume snapshot list -f value -c ID -c Name -c Status
expect_line "$SNAP_ID $SNAP available"
ok

step "volume delete of a volume with a snapshot is refused; it stays available"
os_fails --os-cloud tenrec volume delete "$VOL_ID"
os --os-cloud tenrec volume show "$VOL_ID" -f value -c status
expect_eq "status" "$OUT" "available"
ok

step "volume create --snapshot $SNAP $VOL_FROM_SNAP"
os --os-cloud tenrec volume create --snapshot "$SNAP" "$VOL_FROM_SNAP" -f shell -c id -c size -c snapshot_id
VOL2_ID="$(field id)"
expect_nonempty "volume id" "$VOL2_ID"
CLEANUP+=("volume $VOL2_ID")
expect_eq "size" "$(field size)" "2"
expect_eq "snapshot_id" "$(field snapshot_id)" "$SNAP_ID"
wait_status volume "$VOL2_ID" available
ok

# --- from an image ------------------------------------------------------------------
step "volume create --image (a small raw image uploaded for it): bootable, image metadata copied"
head -c 1048576 /dev/zero >"$WORK/disk.raw"
os --os-cloud tenrec image create --file "$WORK/disk.raw" --disk-format raw --container-format bare --property e2e_prop=kept "$IMAGE" -f shell -c id
IMAGE_ID="$(field id)"
expect_nonempty "image id" "$IMAGE_ID"
CLEANUP+=("image $IMAGE_ID")
os --os-cloud tenrec volume create --image "$IMAGE_ID" --size 1 "$VOL_FROM_IMAGE" -f shell -c id
VOL3_ID="$(field id)"
expect_nonempty "volume id" "$VOL3_ID"
CLEANUP+=("volume $VOL3_ID")
wait_status volume "$VOL3_ID" available
os --os-cloud tenrec volume show "$VOL3_ID" -f json -c bootable -c volume_image_metadata
/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["bootable"] == "true", v
m = v["volume_image_metadata"]
assert m["image_id"] == sys.argv[2] and m.get("e2e_prop") == "kept", m
' "$WORK/out" "$IMAGE_ID" || fail "volume from image: not bootable or image metadata missing"
ok

# --- with Compute: boot from a volume, attach, bad input on an in-use volume, detach ------
step "server create --volume (boot from the volume made from the image): it is in use on /dev/vda"
os --os-cloud tenrec server create --flavor m1.tiny --volume "$VOL3_ID" --network private --wait "e2e-vol-server-$SUFFIX" -f shell -c id -c status
SERVER_ID="$(field id)"
expect_nonempty "server id" "$SERVER_ID"
CLEANUP+=("server $SERVER_ID")
expect_eq "server status" "$(field status)" "ACTIVE"
os --os-cloud tenrec volume show "$VOL3_ID" -f json -c status -c attachments
/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["status"] == "in-use", v
assert [(a["server_id"], a["device"]) for a in v["attachments"]] == [(sys.argv[2], "/dev/vda")], v
' "$WORK/out" "$SERVER_ID" || fail "the boot volume is not in use by the server on /dev/vda"
ok

step "server add volume ($VOL_FROM_SNAP): in-use, attached to the server"
os --os-cloud tenrec server add volume "$SERVER_ID" "$VOL2_ID"
wait_status volume "$VOL2_ID" in-use
os --os-cloud tenrec volume show "$VOL2_ID" -f json -c attachments
/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert [a["server_id"] for a in v["attachments"]] == [sys.argv[2]], v
' "$WORK/out" "$SERVER_ID" || fail "the attachment does not name the server"
ok

step "an in-use volume: delete refused, snapshot without --force refused; it stays in-use"
os_fails --os-cloud tenrec volume delete "$VOL2_ID"
os_fails --os-cloud tenrec volume snapshot create --volume "$VOL2_ID" "e2e-snap-inuse-$SUFFIX"
grep -q 'RESP: \[400\]' "$WORK/err" || fail "the snapshot was not refused with a 400"
os --os-cloud tenrec volume show "$VOL2_ID" -f value -c status
expect_eq "status" "$OUT" "in-use"
os --os-cloud tenrec volume snapshot list -f value -c Name
has_line "e2e-snap-inuse-$SUFFIX" && fail "a snapshot was created anyway"
ok

step "server remove volume: available again, no attachments"
os --os-cloud tenrec server remove volume "$SERVER_ID" "$VOL2_ID"
wait_status volume "$VOL2_ID" available
os --os-cloud tenrec volume show "$VOL2_ID" -f value -c attachments
expect_eq "attachments" "$OUT" "[]"
ok

step "server delete: the boot volume (not delete_on_termination) is available again"
os --os-cloud tenrec server delete --wait "$SERVER_ID"
wait_status volume "$VOL3_ID" available
ok

# --- quotas -------------------------------------------------------------------------
step "quota show lists the volume quotas (volumes, gigabytes, snapshots)"
os --os-cloud tenrec quota show admin -f json
/usr/bin/python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))
for k in ("volumes", "gigabytes", "snapshots"):
    assert isinstance(q.get(k), int), (k, q)
' "$WORK/out" || fail "quota show: no integer volumes/gigabytes/snapshots"
ok

step "a volume over the gigabytes quota is refused with 413 (and the count does not move)"
os --os-cloud tenrec volume list -f value -c ID
before="$(wc -l <"$WORK/out")"
os --os-cloud tenrec quota set --gigabytes 8 admin
CLEANUP+=("quota admin")
os_fails --os-cloud tenrec volume create --size 5 "e2e-too-big-$SUFFIX"
grep -q 'RESP: \[413\]' "$WORK/err" || fail "no 413 answer in the exchange"
expect_contains "error" "$ERR" "exceed"
os --os-cloud tenrec volume list -f value -c ID
expect_eq "volume count" "$(wc -l <"$WORK/out")" "$before"
os --os-cloud tenrec quota set --gigabytes 1000 admin
ok

# --- cleanup through the CLI ------------------------------------------------------------
step "volume delete (from image, from snapshot), snapshot delete, volume delete, type delete"
os --os-cloud tenrec volume delete "$VOL3_ID" "$VOL2_ID"
os --os-cloud tenrec volume snapshot delete "$SNAP_ID"
for _ in $(seq 40); do
  os --os-cloud tenrec volume snapshot list -f value -c ID
  has_line "$SNAP_ID" || break
  sleep 0.5
done
has_line "$SNAP_ID" && fail "snapshot $SNAP_ID still listed"
os --os-cloud tenrec volume delete "$VOL_ID"
for _ in $(seq 40); do
  os --os-cloud tenrec volume list -f value -c ID
  has_line "$VOL_ID" || has_line "$VOL2_ID" || has_line "$VOL3_ID" || break
  sleep 0.5
done
has_line "$VOL_ID" && fail "volume $VOL_ID still listed"
os --os-cloud tenrec volume type delete "$TYPE_ID"
os --os-cloud tenrec image delete "$IMAGE_ID"
CLEANUP=()
ok

summary
