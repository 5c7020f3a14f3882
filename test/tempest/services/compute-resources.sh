#!/usr/bin/env bash
# Tempest configuration for Nova's API-database resources (flavors, key pairs,
# quotas, limits, server groups). Run by test/e2e/tempest.sh with AUTH_URL,
# ADMIN_PASSWORD, WS and ROOT in the environment; prints its tempest.conf
# lines and turns on nova. The servers side (test/tempest/services/compute.sh)
# may print the same options: it must print the same values (oslo.config
# takes the last occurrence).
# Option names checked against /usr/lib/python3/dist-packages/tempest/config.py (tempest 33).
set -euo pipefail

# The compute endpoint from the catalog, then its version document: Tempest
# runs a test only when its microversion range meets [min_microversion,
# max_microversion], so these must be what the API really serves.
token_json="$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
  "$AUTH_URL/auth/tokens")"
compute_url="$(/usr/bin/python3 -c '
import json, sys
cat = json.load(sys.stdin)["token"]["catalog"]
print(next(e["url"] for s in cat if s["type"] == "compute" for e in s["endpoints"] if e["interface"] == "public"))
' <<<"$token_json")"
read -r min_mv max_mv < <(curl -fsS "$compute_url" | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)["version"]
print(v.get("min_version") or "2.1", v.get("version") or "2.1")
')

cat <<CONF
[compute]
region = RegionOne
# The seed's m1.tiny and m1.small (ids 1 and 2).
flavor_ref = 1
flavor_ref_alt = 2
min_microversion = $min_mv
max_microversion = $max_mv

[compute-feature-enabled]
# Quotas are Nova's legacy (database) driver: os-quota-sets updates work.
unified_limits = false
CONF
echo "# available: nova"
