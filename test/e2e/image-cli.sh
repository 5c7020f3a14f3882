#!/usr/bin/env bash
# Drive tenrec's Glance with the real python-openstackclient (and curl for the
# raw wire checks): the "done when" flows of the image service issue. Run by
# test/e2e/run.sh, which starts the cloud and exports OS_CLIENT_CONFIG_FILE
# (clouds `tenrec` = admin, `tenrec-demo` = demo).
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
WORK="$(mktemp -d /tmp/tenrec-image-cli.XXXXXX)"
SUFFIX="$$-$RANDOM"
QCOW="img-qcow-$SUFFIX"
RAW="img-raw-$SUFFIX"
PROT="img-protected-$SUFFIX"
CREATED=()

cleanup() {
  # Best effort: nothing of ours may be left for the Tempest run.
  for id in "${CREATED[@]}"; do
    "$OS" --os-cloud tenrec image set --unprotected "$id" >/dev/null 2>&1 || true
    "$OS" --os-cloud tenrec image delete "$id" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "image CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then echo "image $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"; fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[image %2d] %s\n' "$STEP" "$CURRENT"
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
has_line() { grep -qxF -- "$1" "$WORK/out"; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_nonempty() { [[ -n "$2" ]] || fail "$1 is empty"; }
expect_line() { has_line "$1" || fail "no line '$1' in the output"; }
expect_grep() { grep -qE -- "$1" "$WORK/out" || fail "the output does not match /$1/"; }

# curl_as METHOD URL [curl args...]: raw request with the admin token; status in $CODE, body in $WORK/out.
curl_as() {
  local m="$1" u="$2"
  shift 2
  LAST_CMD="curl -X $m $u $*"
  : >"$WORK/err"
  CODE="$(curl -sS -o "$WORK/out" -w '%{http_code}' -X "$m" -H "X-Auth-Token: $TOKEN" "$@" "$u")" || fail "curl failed"
}

echo "openstack CLI (image) against $AUTH_URL ($("$OS" --version 2>&1))"

# --- test data -------------------------------------------------------------------
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom >"$WORK/disk.raw"
if command -v qemu-img >/dev/null 2>&1; then
  qemu-img create -q -f qcow2 "$WORK/disk.qcow2" 1G
  qemu-img convert -q -n -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2" 2>/dev/null || true
  VSIZE=1073741824
else
  cp "$WORK/disk.raw" "$WORK/disk.qcow2"
  VSIZE=""
fi

step "token issue (admin) and the endpoints of image and object-store"
os --os-cloud tenrec token issue -f value -c id
TOKEN="$(cat "$WORK/out")"
os --os-cloud tenrec endpoint list --interface public -f value -c "Service Type" -c URL
GLANCE="$(awk '$1 == "image" {print $2}' "$WORK/out")"
SWIFT="$(awk '$1 == "object-store" {print $2}' "$WORK/out")"
expect_nonempty "image endpoint" "$GLANCE"
expect_nonempty "object-store endpoint" "$SWIFT"
os --os-cloud tenrec project show service -f value -c id
SERVICE_ACCOUNT="AUTH_$(cat "$WORK/out")"
os --os-cloud tenrec-demo token issue -f value -c project_id
DEMO_PROJECT="$(cat "$WORK/out")"
ok

step "image create --file (qcow2) $QCOW"
os --os-cloud tenrec image create --file "$WORK/disk.qcow2" --disk-format qcow2 --container-format bare "$QCOW" -f shell -c id -c name
QCOW_ID="$(field id)"
expect_nonempty "image id" "$QCOW_ID"
CREATED+=("$QCOW_ID")
expect_eq "name" "$(field name)" "$QCOW"
ok

step "image create --file (raw) $RAW --private --min-disk 1 --property os_distro=cirros"
os --os-cloud tenrec image create --file "$WORK/disk.raw" --disk-format raw --container-format bare --private --min-disk 1 --property os_distro=cirros "$RAW" -f shell -c id
RAW_ID="$(field id)"
expect_nonempty "image id" "$RAW_ID"
CREATED+=("$RAW_ID")
ok

step "image list shows both, active"
os --os-cloud tenrec image list -f value -c ID -c Name -c Status
expect_line "$QCOW_ID $QCOW active"
expect_line "$RAW_ID $RAW active"
ok

step "image show $QCOW: size, checksum (MD5), os_hash_value (SHA-512), virtual_size, stores"
os --os-cloud tenrec image show "$QCOW" -f json
/usr/bin/python3 - "$WORK/out" "$WORK/disk.qcow2" "$VSIZE" <<'PY' || fail "image show does not describe the uploaded data"
import hashlib, json, os, sys
img = json.load(open(sys.argv[1]))
data = open(sys.argv[2], "rb").read()
props = img.get("properties") or {}
def get(k):
    return img.get(k, props.get(k))
errors = []
if img["status"] != "active": errors.append(f"status {img['status']}")
if img["size"] != len(data): errors.append(f"size {img['size']} != {len(data)}")
if img["checksum"] != hashlib.md5(data).hexdigest(): errors.append("checksum is not the MD5 of the data")
if get("os_hash_algo") != "sha512": errors.append(f"os_hash_algo {get('os_hash_algo')}")
if get("os_hash_value") != hashlib.sha512(data).hexdigest(): errors.append("os_hash_value is not the SHA-512 of the data")
if sys.argv[3] and img.get("virtual_size") != int(sys.argv[3]): errors.append(f"virtual_size {img.get('virtual_size')} != {sys.argv[3]}")
if img["visibility"] != "shared": errors.append(f"default visibility {img['visibility']} (Glance's default is shared)")
if errors:
    print("; ".join(errors)); sys.exit(1)
PY
ok

step "image save (both) is byte-identical (sha256)"
os --os-cloud tenrec image save --file "$WORK/saved.qcow2" "$QCOW_ID"
os --os-cloud tenrec image save --file "$WORK/saved.raw" "$RAW"
[[ "$(sha256sum <"$WORK/saved.qcow2")" == "$(sha256sum <"$WORK/disk.qcow2")" ]] || fail "the saved qcow2 differs from the uploaded file"
[[ "$(sha256sum <"$WORK/saved.raw")" == "$(sha256sum <"$WORK/disk.raw")" ]] || fail "the saved raw image differs from the uploaded file"
ok

step "the image data is visible as objects in the object store's service account"
SVC_URL="${SWIFT%/AUTH_*}/$SERVICE_ACCOUNT/glance"
curl_as GET "$SVC_URL"
expect_eq "HTTP status of the container listing" "$CODE" "200"
expect_line "$QCOW_ID"
expect_line "$RAW_ID"
ok

step "image create --import (interoperable import: stage, then glance-direct) → active, byte-identical"
os --os-cloud tenrec image create --import --file "$WORK/disk.raw" --disk-format raw --container-format bare "imp-$SUFFIX" -f value -c id
IMP_ID="$(cat "$WORK/out")"
expect_nonempty "image id" "$IMP_ID"
CREATED+=("$IMP_ID")
for _ in $(seq 50); do
  os --os-cloud tenrec image show "$IMP_ID" -f value -c status
  [[ "$(cat "$WORK/out")" == active ]] && break
  sleep 0.2
done
expect_eq "status after the import" "$(cat "$WORK/out")" "active"
os --os-cloud tenrec image save --file "$WORK/imported.raw" "$IMP_ID"
cmp -s "$WORK/imported.raw" "$WORK/disk.raw" || fail "the imported image differs from the file"
os --os-cloud tenrec image delete "$IMP_ID"
ok

step "image set --deactivate / --activate"
os --os-cloud tenrec image set --deactivate "$RAW_ID"
os --os-cloud tenrec image show "$RAW_ID" -f value -c status
expect_line "deactivated"
os --os-cloud tenrec image set --activate "$RAW_ID"
os --os-cloud tenrec image show "$RAW_ID" -f value -c status
expect_line "active"
ok

step "image set --property k=v --tag t1 --tag t2 --min-ram 64"
os --os-cloud tenrec image set --property "k=v" --property "hw_disk_bus=virtio" --tag t1 --tag t2 --min-ram 64 "$QCOW"
os --os-cloud tenrec image show "$QCOW" -f json -c properties -c tags -c min_ram
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["properties"].get("k") == "v", d
assert d["properties"].get("hw_disk_bus") == "virtio", d
assert sorted(d["tags"]) == ["t1", "t2"], d
assert d["min_ram"] == 64, d
' "$WORK/out" || fail "the properties, tags or min_ram did not stick"
ok

step "image unset --tag t1 --property k (tags and properties removed)"
os --os-cloud tenrec image unset --tag t1 --property k "$QCOW"
os --os-cloud tenrec image show "$QCOW" -f json -c properties -c tags
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "k" not in d["properties"], d
assert d["tags"] == ["t2"], d
' "$WORK/out" || fail "the tag or the property is still there"
ok

step "image list --tag t2 / --property / --sort / --limit / --marker"
os --os-cloud tenrec image list --tag t2 -f value -c ID
expect_line "$QCOW_ID"
has_line "$RAW_ID" && fail "$RAW has no tag t2 but is listed"
os --os-cloud tenrec image list --property os_distro=cirros -f value -c ID
expect_line "$RAW_ID"
has_line "$QCOW_ID" && fail "$QCOW has no os_distro but is listed"
os --os-cloud tenrec image list --sort name:asc -f value -c Name
[[ "$(grep -n -xF "$QCOW" "$WORK/out" | cut -d: -f1)" -lt "$(grep -n -xF "$RAW" "$WORK/out" | cut -d: -f1)" ]] || fail "--sort name:asc is not sorted"
os --os-cloud tenrec image list --sort name:asc --limit 1 -f value -c ID
[[ "$(wc -l <"$WORK/out")" -eq 1 ]] || fail "--limit 1 returned $(wc -l <"$WORK/out") images"
FIRST="$(cat "$WORK/out")"
os --os-cloud tenrec image list --sort name:asc --marker "$FIRST" -f value -c ID
has_line "$FIRST" && fail "--marker returned the marker image itself"
ok

step "demo does not see admin's private image, and cannot delete the shared one"
os --os-cloud tenrec-demo image list -f value -c ID
has_line "$RAW_ID" && fail "demo sees admin's private image"
has_line "$QCOW_ID" && fail "demo sees a shared image it is not a member of"
os_fails --os-cloud tenrec-demo image delete "$QCOW_ID"
ok

step "image add project $QCOW demo (pending: not yet in demo's list)"
os --os-cloud tenrec image add project "$QCOW" "$DEMO_PROJECT" -f shell -c status -c member_id -c image_id
expect_eq "member status" "$(field status)" "pending"
expect_eq "member id" "$(field member_id)" "$DEMO_PROJECT"
os --os-cloud tenrec-demo image list -f value -c ID
has_line "$QCOW_ID" && fail "a pending member sees the image in its list"
ok

step "image set --accept (as demo) → demo lists and downloads it"
os --os-cloud tenrec-demo image set --accept "$QCOW_ID"
os --os-cloud tenrec-demo image list -f value -c ID
expect_line "$QCOW_ID"
os --os-cloud tenrec-demo image save --file "$WORK/demo.qcow2" "$QCOW_ID"
cmp -s "$WORK/demo.qcow2" "$WORK/disk.qcow2" || fail "demo downloaded different bytes"
os --os-cloud tenrec image member list "$QCOW" -f value -c "Member ID" -c Status
expect_line "$DEMO_PROJECT accepted"
ok

step "image remove project → demo no longer sees it"
os --os-cloud tenrec image remove project "$QCOW" "$DEMO_PROJECT"
os --os-cloud tenrec-demo image list -f value -c ID
has_line "$QCOW_ID" && fail "demo still lists the image after its membership was removed"
ok

step "bad input: unknown disk_format → 400 (nothing created)"
curl_as POST "$GLANCE/v2/images" -H "Content-Type: application/json" -H "Accept: application/json" -d "{\"name\": \"bad-$SUFFIX\", \"disk_format\": \"floppy\", \"container_format\": \"bare\"}"
expect_eq "status" "$CODE" "400"
expect_grep '"message"'
os --os-cloud tenrec image list --name "bad-$SUFFIX" -f value -c ID
[[ ! -s "$WORK/out" ]] || fail "a refused image was stored"
ok

step "bad input: PATCH of a read-only attribute → 403, image unchanged"
curl_as PATCH "$GLANCE/v2/images/$QCOW_ID" -H "Content-Type: application/openstack-images-v2.1-json-patch" -H "Accept: application/json" \
  -d '[{"op": "replace", "path": "/name", "value": "renamed"}, {"op": "replace", "path": "/checksum", "value": "0"}]'
expect_eq "status" "$CODE" "403"
expect_grep "read-only"
os --os-cloud tenrec image show "$QCOW_ID" -f value -c name
expect_line "$QCOW"
ok

step "bad input: upload to an active image → 409"
curl_as PUT "$GLANCE/v2/images/$QCOW_ID/file" -H "Content-Type: application/octet-stream" -H "Accept: application/json" --data-binary "@$WORK/disk.raw"
expect_eq "status" "$CODE" "409"
ok

step "bad input: a body larger than the size cap → 413, the image stays queued with no data"
curl_as POST "$GLANCE/v2/images" -H "Content-Type: application/json" -d "{\"name\": \"big-$SUFFIX\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}"
BIG_ID="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/out")"
CREATED+=("$BIG_ID")
# Declares 6 GiB (above the default cap, min(image_size_cap, object size limit)) and sends a little.
CODE="$(head -c 65536 /dev/zero | curl -sS -o "$WORK/out" -w '%{http_code}' -X PUT -H "X-Auth-Token: $TOKEN" -H "Accept: application/json" \
  -H "Content-Type: application/octet-stream" -H "Content-Length: $((6 * 1024 * 1024 * 1024))" --data-binary @- "$GLANCE/v2/images/$BIG_ID/file" 2>/dev/null || true)"
expect_eq "status" "$CODE" "413"
os --os-cloud tenrec image show "$BIG_ID" -f value -c status -c size
expect_eq "status after the refused upload" "$(head -n 1 "$WORK/out")" "queued"
curl_as GET "$SVC_URL"
has_line "$BIG_ID" && fail "an object was left behind by the refused upload"
ok

step "protected image: delete refused (403), allowed once unprotected"
os --os-cloud tenrec image create --protected --disk-format raw --container-format bare "$PROT" -f value -c id
PROT_ID="$(cat "$WORK/out")"
CREATED+=("$PROT_ID")
os_fails --os-cloud tenrec image delete "$PROT_ID"
os --os-cloud tenrec image set --unprotected "$PROT_ID"
os --os-cloud tenrec image delete "$PROT_ID"
ok

step "image delete (both): gone from the list and from the object store"
os --os-cloud tenrec image delete "$QCOW_ID" "$RAW_ID" "$BIG_ID"
os --os-cloud tenrec image list -f value -c ID
has_line "$QCOW_ID" && fail "$QCOW is still listed"
has_line "$RAW_ID" && fail "$RAW is still listed"
curl_as GET "$SVC_URL"
has_line "$QCOW_ID" && fail "the object of $QCOW is still in the object store"
has_line "$RAW_ID" && fail "the object of $RAW is still in the object store"
CREATED=()
ok

summary
