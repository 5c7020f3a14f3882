#!/usr/bin/env bash
# Tempest configuration for tenrec's Nova servers side (run by
# test/e2e/tempest.sh with AUTH_URL, ADMIN_PASSWORD, WS and ROOT in the
# environment). Finds or creates two small public images through the Glance
# v2 API (POST /v2/images, PUT /v2/images/{id}/file), reads the compute
# endpoint's version document for the microversion range, and prints the
# [compute] and [compute-feature-enabled] sections for both compute parts
# (servers and the API-database resources; the values agree with
# compute-resources.sh, and this fragment runs after it, so it wins).
# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py (tempest 33).
set -euo pipefail

curl -fsS -D "$WS/compute-token.hdr" -o "$WS/compute-token.json" -H 'Content-Type: application/json' \
  -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
  "$AUTH_URL/auth/tokens"
TOKEN="$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^[:space:]]*\).*/\1/p' "$WS/compute-token.hdr")"
endpoint() {
  /usr/bin/python3 -c '
import json, sys
cat = json.load(open(sys.argv[1]))["token"]["catalog"]
print(next((e["url"] for s in cat if s["type"] == sys.argv[2] for e in s["endpoints"] if e["interface"] == "public"), ""))
' "$WS/compute-token.json" "$1"
}
COMPUTE_URL="$(endpoint compute)"
IMAGE_URL="$(endpoint image)"
[[ -n $COMPUTE_URL ]] || { echo "no compute endpoint in the catalog" >&2; exit 1; }

# Two small public images for the servers (the fake driver never reads them;
# the QEMU driver would need a bootable one: set TEMPEST_IMAGE_FILE).
image_id() { # image_id NAME: the id of an active image of that name, or create it
  local name="$1" id
  id="$(curl -fsS -H "X-Auth-Token: $TOKEN" "$IMAGE_URL/v2/images?name=$name&status=active" |
    /usr/bin/python3 -c 'import json,sys; i=json.load(sys.stdin)["images"]; print(i[0]["id"] if i else "")')"
  if [[ -z $id ]]; then
    id="$(curl -fsS -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"name\":\"$name\",\"disk_format\":\"raw\",\"container_format\":\"bare\",\"visibility\":\"public\"}" \
      "$IMAGE_URL/v2/images" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    local file="${TEMPEST_IMAGE_FILE:-}"
    if [[ -z $file ]]; then
      file="$WS/$name.raw"
      head -c 65536 /dev/zero >"$file"
    fi
    curl -fsS -o /dev/null -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' \
      --data-binary "@$file" "$IMAGE_URL/v2/images/$id/file"
  fi
  echo "$id"
}
# The hypervisor the cloud runs: with the fake driver any bytes make an image;
# a real driver (qemu) needs a bootable one, the bootstrap's cirros image.
HYPERVISOR_TYPE="$(curl -fsS -H "X-Auth-Token: $TOKEN" "$COMPUTE_URL/os-hypervisors/detail" |
  /usr/bin/python3 -c 'import json,sys; h=json.load(sys.stdin)["hypervisors"]; print(h[0]["hypervisor_type"] if h else "fake")')"
BOOTABLE=""
if [[ $HYPERVISOR_TYPE != fake && -z ${TEMPEST_IMAGE_FILE:-} ]]; then
  BOOTABLE="$(curl -fsS -H "X-Auth-Token: $TOKEN" "$IMAGE_URL/v2/images?status=active&visibility=public" |
    /usr/bin/python3 -c 'import json,sys; i=[x["id"] for x in json.load(sys.stdin)["images"] if (x.get("name") or "").startswith("cirros")]; print(i[0] if i else "")')"
fi
if [[ -n $BOOTABLE ]]; then
  IMAGE="$BOOTABLE"
  IMAGE_ALT="$BOOTABLE"
else
  IMAGE="$(image_id tenrec-tempest-image)"
  IMAGE_ALT="$(image_id tenrec-tempest-image-alt)"
fi

read -r MIN_MV MAX_MV < <(curl -fsS "$COMPUTE_URL" | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)["version"]
print(v.get("min_version") or "2.1", v.get("version") or "2.1")
')

cat <<CONF
[compute]
region = RegionOne
endpoint_type = publicURL
catalog_type = compute
image_ref = $IMAGE
image_ref_alt = $IMAGE_ALT
# The seed's m1.tiny and m1.small (ids 1 and 2), as compute-resources.sh says.
flavor_ref = 1
flavor_ref_alt = 2
min_microversion = $MIN_MV
max_microversion = $MAX_MV
build_timeout = 60
build_interval = 1
ready_wait = 0
min_compute_nodes = 1
hypervisor_type = $HYPERVISOR_TYPE

[compute-feature-enabled]
# Quotas are Nova's legacy (database) driver: os-quota-sets updates work.
unified_limits = false
# What the servers side implements with the fake driver.
resize = true
pause = true
suspend = true
console_output = true
snapshot = true
disk_config = true
config_drive = true
rescue = false
stable_rescue = false
shelve = false
shelve_migrate = false
cold_migration = false
live_migration = false
live_migrate_back_and_forth = false
block_migration_for_live_migration = false
change_password = false
enable_instance_password = true
interface_attach = true
metadata_service = false
personality = false
vnc_console = false
spice_console = false
rdp_console = false
serial_console = false
nova_cert = false
attach_encrypted_volume = false
swap_volume = false
volume_multiattach = false
xenapi_apis = false
hostname_fqdn_sanitization = false
scheduler_enabled_filters = AvailabilityZoneFilter,ComputeFilter,RamFilter,CoreFilter,DiskFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter
CONF
echo "# available: nova"
