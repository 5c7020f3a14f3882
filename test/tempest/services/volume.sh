#!/usr/bin/env bash
# Tempest configuration for tenrec's Cinder v3 (run by test/e2e/tempest.sh with
# AUTH_URL, ADMIN_PASSWORD, WS and ROOT in the environment). Prints the
# [volume] and [volume-feature-enabled] sections and turns on cinder. When no
# compute fragment provides [compute] image_ref (TEMPEST_SERVICES without
# compute, or no compute.sh), it uploads a small raw image to Glance for the
# volume-from-image tests and sets [compute] image_ref itself.
# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py (tempest 33).
set -euo pipefail

CINDER_MAX="3.70"

compute_fragment_runs() {
  [[ -e "$ROOT/test/tempest/services/compute.sh" ]] || return 1
  [[ -z "${TEMPEST_SERVICES:-}" || " $TEMPEST_SERVICES " == *" compute "* ]]
}

image_ref=""
if ! compute_fragment_runs; then
  curl -fsS -D "$WS/volume-token.hdr" -o "$WS/volume-token.json" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
    "$AUTH_URL/auth/tokens" >/dev/null 2>&1 || true
  TOKEN="$(sed -nE 's/^[Xx]-[Ss]ubject-[Tt]oken: *([^[:space:]]+).*/\1/p' "$WS/volume-token.hdr" 2>/dev/null || true)"
  GLANCE="$(/usr/bin/python3 -c '
import json, sys
try:
    cat = json.load(open(sys.argv[1]))["token"]["catalog"]
    for s in cat:
        if s["type"] == "image":
            print([e["url"] for e in s["endpoints"] if e["interface"] == "public"][0].rstrip("/"))
except Exception:
    pass
' "$WS/volume-token.json" 2>/dev/null || true)"
  if [[ -n "$TOKEN" && -n "$GLANCE" ]]; then
    # A 1 MiB raw image, public, for volume-from-image tests.
    image_ref="$(curl -fsS -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
      -d '{"name":"tempest-volume-image","disk_format":"raw","container_format":"bare","visibility":"public"}' \
      "$GLANCE/v2/images" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null || true)"
    if [[ -n "$image_ref" ]]; then
      head -c 1048576 /dev/zero >"$WS/volume-image.raw"
      curl -fsS -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' \
        --data-binary @"$WS/volume-image.raw" "$GLANCE/v2/images/$image_ref/file" >/dev/null 2>&1 || image_ref=""
    fi
  fi
fi

cat <<CONF
[volume]
catalog_type = volumev3
region = RegionOne
endpoint_type = public
build_timeout = 60
build_interval = 1
min_microversion = 3.0
max_microversion = $CINDER_MAX
# One backend: every volume is a file under <data>/volumes (host tenrec@file#file).
backend_names = file
storage_protocol = file
vendor_name = tenrec
# Uploads of volumes to images: qcow2 carries only the allocated clusters (raw would stream whole GiBs).
disk_format = qcow2
volume_size = 1
volume_size_extend = 1

[volume-feature-enabled]
multi_backend = false
backup = true
snapshot = true
clone = true
manage_snapshot = false
manage_volume = false
api_extensions = os-availability-zone,os-extended-snapshot-attributes,os-vol-host-attr,os-vol-tenant-attr,os-vol-mig-status-attr,os-vol-image-meta,os-volume-actions,os-admin-actions,os-extended-services,os-services,os-hosts,os-quota-sets,os-quota-class-sets,os-types-manage,os-types-extra-specs,os-volume-type-access,os-used-limits,scheduler-stats,capabilities,os-snapshot-actions
extend_attached_volume = false
extend_attached_encrypted_volume = false
CONF
if [[ -n "$image_ref" ]]; then
  printf '\n[compute]\nimage_ref = %s\n' "$image_ref"
fi
echo "# available: cinder"
