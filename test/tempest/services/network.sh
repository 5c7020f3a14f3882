#!/usr/bin/env bash
# Tempest configuration for tenrec's Neutron: run by test/e2e/tempest.sh with
# AUTH_URL, ADMIN_PASSWORD, WS and ROOT in the environment. Looks up the
# external network `public` and the extensions the cloud lists, and prints the
# [network] and [network-feature-enabled] sections.
set -euo pipefail

token_and_catalog() {
  curl -fsS -D "$WS/network-token.hdr" -o "$WS/network-token.json" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
    "$AUTH_URL/auth/tokens"
}
token_and_catalog
TOKEN="$(sed -nE 's/^[Xx]-[Ss]ubject-[Tt]oken: *([^[:space:]]+).*/\1/p' "$WS/network-token.hdr")"
NEUTRON="$(/usr/bin/python3 -c '
import json, sys
cat = json.load(open(sys.argv[1]))["token"]["catalog"]
for s in cat:
    if s["type"] == "network":
        print([e["url"] for e in s["endpoints"] if e["interface"] == "public"][0].rstrip("/"))
' "$WS/network-token.json")"
PUBLIC_ID="$(curl -fsS -H "X-Auth-Token: $TOKEN" "$NEUTRON/v2.0/networks?name=public&router:external=True" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"][0]["id"])')"
EXTENSIONS="$(curl -fsS -H "X-Auth-Token: $TOKEN" "$NEUTRON/v2.0/extensions" |
  /usr/bin/python3 -c 'import json,sys; print(",".join(sorted(e["alias"] for e in json.load(sys.stdin)["extensions"])))')"

cat <<CONF
[network]
catalog_type = network
region = RegionOne
endpoint_type = public
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
project_networks_reachable = false
public_network_id = $PUBLIC_ID
floating_network_name = public
shared_physical_network = false
build_timeout = 60
build_interval = 1

[network-feature-enabled]
ipv6 = true
api_extensions = $EXTENSIONS
ipv6_subnet_attributes = true
port_admin_state_change = true
port_security = true
floating_ips = true
# available: neutron
CONF
