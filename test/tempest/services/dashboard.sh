#!/usr/bin/env bash
# Tempest configuration for tenrec's dashboard (run by test/e2e/tempest.sh with
# AUTH_URL, ADMIN_PASSWORD, WS and ROOT in the environment). Prints [dashboard]
# dashboard_url — the `dashboard` entry of the service catalog, found with an
# admin token — and turns on horizon.
# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py (tempest 33).
set -euo pipefail

URL="$(/usr/bin/python3 - "$AUTH_URL" "$ADMIN_PASSWORD" <<'PY'
import json, sys, urllib.request
auth_url, password = sys.argv[1].rstrip("/"), sys.argv[2]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": password}}},
                 "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
req = urllib.request.Request(auth_url + "/auth/tokens", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    catalog = json.load(r)["token"]["catalog"]
print(next(e["url"] for s in catalog if s["type"] == "dashboard" for e in s["endpoints"] if e["interface"] == "public"))
PY
)"

cat <<CONF
[dashboard]
dashboard_url = ${URL%/}/
disable_ssl_certificate_validation = false
CONF
echo "# available: horizon"
