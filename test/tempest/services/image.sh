#!/usr/bin/env bash
# Tempest configuration for tenrec's Glance v2 (run by test/e2e/tempest.sh with
# AUTH_URL, ADMIN_PASSWORD, WS and ROOT in the environment). Prints the
# [image] and [image-feature-enabled] sections and turns on glance.
# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py (tempest 33).
#
# It prepares one thing: the web-download import tests fetch [image]
# http_image, by default a file on the internet; here it is an object in a
# world-readable container of the admin project's Swift account on this very
# cloud (so the tests run offline).
set -euo pipefail

HTTP_IMAGE="$(/usr/bin/python3 - "$AUTH_URL" "$ADMIN_PASSWORD" <<'PY' || echo "image.sh: could not prepare the web-download source; keeping Tempest's default http_image" >&2
import json, os, sys, urllib.request
auth_url, password = sys.argv[1].rstrip("/"), sys.argv[2]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": password}}},
                 "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
req = urllib.request.Request(auth_url + "/auth/tokens", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    token = r.headers["X-Subject-Token"]
    catalog = json.load(r)["token"]["catalog"]
swift = next(e["url"] for s in catalog if s["type"] == "object-store" for e in s["endpoints"] if e["interface"] == "public")
def call(method, url, data=None, headers=None):
    h = {"X-Auth-Token": token, **(headers or {})}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=h), timeout=10) as r:
        r.read()
container = swift + "/tempest-image-source"
call("PUT", container, b"", {"X-Container-Read": ".r:*,.rlistings"})
call("PUT", container + "/web-download.img", os.urandom(1024 * 1024), {"Content-Type": "application/octet-stream"})
print(container + "/web-download.img")
PY
)"

cat <<CONF
[image]
region = RegionOne
endpoint_type = public
build_timeout = 60
build_interval = 1
# bare first: Tempest registers images with the first container format and
# the first disk formats of these lists.
container_formats = bare,ami,ari,aki,ovf,ova
disk_formats = raw,qcow2,ami,ari,aki,vhd,vmdk,vdi,iso,vhdx
image_caching_enabled = false
${HTTP_IMAGE:+http_image = $HTTP_IMAGE}

[image-feature-enabled]
api_v2 = true
api_v1 = false
# The interoperable import: glance-direct, web-download and glance-download (see /v2/info/import).
import_image = true
# os_glance_* properties are reserved (403), as in Glance since Wallaby.
os_glance_reserved = true
# Locations are not exposed (the data is always in the object store).
manage_locations = false
CONF
echo "# available: glance"
