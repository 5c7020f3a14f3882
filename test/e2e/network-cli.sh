#!/usr/bin/env bash
# Drive tenrec's Neutron with the real python-openstackclient, as a new user
# would (the demo project, cloud `tenrec-demo`), and check what it prints:
# networks, subnets, routers with an external gateway, ports, security
# groups, floating IPs, Neutron's errors (NeutronError type) for bad input and
# 409 InUse answers for deletes in the wrong order. Everything it creates is
# deleted again. Run by test/e2e/run.sh (OS_CLIENT_CONFIG_FILE given).
#
# Always /usr/bin/openstack; every call runs with --debug, its stderr kept
# aside and shown when a step fails.
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

WORK="$(mktemp -d /tmp/tenrec-netcli.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
S="$$-$RANDOM"
NET="e2e-net-$S" SUBNET="e2e-subnet-$S" ROUTER="e2e-router-$S" PORT="e2e-port-$S" SG="e2e-sg-$S"
NET2="e2e-net2-$S" SUBNET2="e2e-subnet2-$S" PORT2="e2e-port2-$S"
NET3="e2e-net3-$S" SUBNET3="e2e-subnet3-$S"
NET4="e2e-net4-$S" SUBNET4="e2e-subnet4-$S"

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "network CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[net %2d] %s\n' "$STEP" "$CURRENT"
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
# os ARGS...: run the CLI as the demo user; stdout in $OUT. Fails the step on a non-zero exit.
os() {
  LAST_CMD="$*"
  "$OS" --os-cloud "${CLOUD:-tenrec-demo}" --debug "$@" >"$WORK/out" 2>"$WORK/err" || fail "the command exited non-zero"
  OUT="$(cat "$WORK/out")"
}
# os_refused STATUS TYPE ARGS...: the command must fail, the server having
# answered STATUS with a NeutronError of TYPE.
os_refused() {
  local status="$1" type="$2"
  shift 2
  LAST_CMD="$*"
  if "$OS" --os-cloud "${CLOUD:-tenrec-demo}" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "the command succeeded; expected $status $type"
  fi
  grep -qE "HTTP/1\.[01]\" $status " "$WORK/err" || fail "no $status answer in the log"
  grep -qE "\"type\": ?\"$type\"" "$WORK/err" || fail "no NeutronError of type $type in the log"
}
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_match() { [[ "$2" =~ $3 ]] || fail "$1: '$2' does not match $3"; }

echo "network CLI ($("$OS" --version 2>&1))"

step "extension list --network shows router, external-net, security-group, quotas"
os extension list --network -f value -c Alias
for a in router external-net security-group quotas port-security allowed-address-pairs binding agent; do
  grep -qxF "$a" "$WORK/out" || fail "extension $a not listed"
done
ok

step "network list shows public (external) and private"
os network list -f value -c Name
grep -qxF public "$WORK/out" || fail "public not listed"
grep -qxF private "$WORK/out" || fail "private not listed"
os network show public -f shell -c router:external -c id
expect_eq "public router:external" "$(field router_external)" "True"
PUBLIC_ID="$(field id)"
ok

step "network create $NET"
os network create "$NET" -f shell -c id -c status -c mtu -c admin_state_up
NET_ID="$(field id)"
expect_eq "status" "$(field status)" "ACTIVE"
expect_eq "mtu" "$(field mtu)" "1500"
ok

step "subnet create --subnet-range 10.10.0.0/24"
os subnet create --network "$NET" --subnet-range 10.10.0.0/24 --dns-nameserver 8.8.8.8 "$SUBNET" -f shell -c id -c gateway_ip -c allocation_pools -c cidr
SUBNET_ID="$(field id)"
expect_eq "gateway" "$(field gateway_ip)" "10.10.0.1"
expect_eq "cidr" "$(field cidr)" "10.10.0.0/24"
expect_match "allocation pools" "$(field allocation_pools)" "'start': '10\.10\.0\.2', 'end': '10\.10\.0\.254'"
ok

step "bad input: an overlapping CIDR on the same network → 400 InvalidInput"
os_refused 400 InvalidInput subnet create --network "$NET" --subnet-range 10.10.0.128/25 "$SUBNET-overlap"
ok

step "bad input: an invalid CIDR → 400"
os_refused 400 InvalidInput subnet create --network "$NET" --subnet-range 10.300.0.0/24 "$SUBNET-bad"
ok

step "router create $ROUTER, router add subnet"
os router create "$ROUTER" -f shell -c id -c status
ROUTER_ID="$(field id)"
expect_eq "router status" "$(field status)" "ACTIVE"
os router add subnet "$ROUTER" "$SUBNET"
ok

step "router set --external-gateway public"
os router set --external-gateway public "$ROUTER"
os router show "$ROUTER" -f json -c external_gateway_info
grep -qF "\"network_id\": \"$PUBLIC_ID\"" "$WORK/out" || fail "the gateway is not on public"
grep -qE '"ip_address": "172\.24\.4\.[0-9]+"' "$WORK/out" || fail "no gateway address from 172.24.4.0/24"
grep -qF '"enable_snat": true' "$WORK/out" || fail "SNAT not enabled by default"
ok

step "security group create $SG + rule create --protocol tcp --dst-port 22"
os security group create "$SG" -f shell -c id
SG_ID="$(field id)"
os security group rule create --protocol tcp --dst-port 22 "$SG" -f shell -c port_range_min -c port_range_max -c protocol -c direction -c remote_ip_prefix
expect_eq "port_range_min" "$(field port_range_min)" "22"
expect_eq "port_range_max" "$(field port_range_max)" "22"
expect_eq "protocol" "$(field protocol)" "tcp"
expect_eq "direction" "$(field direction)" "ingress"
expect_eq "remote_ip_prefix" "$(field remote_ip_prefix)" "0.0.0.0/0"
ok

step "bad input: the same rule again → 409 SecurityGroupRuleExists"
os_refused 409 SecurityGroupRuleExists security group rule create --protocol tcp --dst-port 22 "$SG"
ok

step "port create --network $NET --security-group $SG"
os port create --network "$NET" --security-group "$SG" "$PORT" -f json -c id -c fixed_ips -c mac_address -c security_group_ids -c status
PORT_ID="$(sed -nE 's/^ *"id": "([^"]+)".*/\1/p' "$WORK/out" | head -n 1)"
PORT_IP="$(grep -oE '"ip_address": "10\.10\.0\.[0-9]+"' "$WORK/out" | grep -oE '10\.10\.0\.[0-9]+')"
[[ -n $PORT_ID && -n $PORT_IP ]] || fail "no port id or fixed IP from 10.10.0.0/24"
[[ $PORT_IP != 10.10.0.1 ]] || fail "the gateway address was handed to a port"
grep -qE '"mac_address": "fa:16:3e(:[0-9a-f]{2}){3}"' "$WORK/out" || fail "no fa:16:3e MAC"
grep -qF "$SG_ID" "$WORK/out" || fail "the port does not carry $SG"
ok

step "bad input: a fixed IP outside the subnet → 400 InvalidIpForSubnet"
os_refused 400 InvalidIpForSubnet port create --network "$NET" --fixed-ip "subnet=$SUBNET,ip-address=10.20.0.5" "$PORT-bad"
ok

step "floating ip create public"
os floating ip create public -f shell -c id -c floating_ip_address -c status
FIP_ID="$(field id)"
FIP="$(field floating_ip_address)"
expect_match "floating address" "$FIP" '^172\.24\.4\.[0-9]+$'
expect_eq "status before association" "$(field status)" "DOWN"
ok

step "floating ip set --port $PORT (its subnet is routed to public)"
os floating ip set --port "$PORT" "$FIP"
os floating ip show "$FIP" -f shell -c port_id -c fixed_ip_address -c router_id -c status
expect_eq "port_id" "$(field port_id)" "$PORT_ID"
expect_eq "fixed_ip_address" "$(field fixed_ip_address)" "$PORT_IP"
expect_eq "router_id" "$(field router_id)" "$ROUTER_ID"
expect_eq "status" "$(field status)" "ACTIVE"
ok

step "floating ip list shows $FIP → $PORT_IP"
os floating ip list -f value -c "Floating IP Address" -c "Fixed IP Address"
grep -qxF "$FIP $PORT_IP" "$WORK/out" || fail "no line '$FIP $PORT_IP'"
ok

step "bad input: floating IP on an unreachable port → 404 ExternalGatewayForFloatingIPNotFound"
os network create "$NET2" -f shell -c id
os subnet create --network "$NET2" --subnet-range 10.11.0.0/24 "$SUBNET2" -f shell -c id
os port create --network "$NET2" "$PORT2" -f shell -c id
os_refused 404 ExternalGatewayForFloatingIPNotFound floating ip create --port "$PORT2" public
ok

step "bad input: overlapping CIDRs on one router → 400 BadRequest"
os network create "$NET3" -f shell -c id
os subnet create --network "$NET3" --subnet-range 10.10.0.0/25 "$SUBNET3" -f shell -c id
os_refused 400 BadRequest router add subnet "$ROUTER" "$SUBNET3"
ok

step "an exhausted pool → 409 IpAddressGenerationFailure"
os network create "$NET4" -f shell -c id
os subnet create --network "$NET4" --subnet-range 10.12.0.0/29 --allocation-pool start=10.12.0.5,end=10.12.0.5 "$SUBNET4" -f shell -c id
os port create --network "$NET4" "$PORT-last" -f json -c fixed_ips
grep -qF '"ip_address": "10.12.0.5"' "$WORK/out" || fail "the one address of the pool was not handed out"
os_refused 409 IpAddressGenerationFailure port create --network "$NET4" "$PORT-none"
ok

step "deletes in the wrong order → 409: network (NetworkInUse), subnet (SubnetInUse), router (RouterInUse)"
os_refused 409 NetworkInUse network delete "$NET"
os_refused 409 SubnetInUse subnet delete "$SUBNET"
os_refused 409 RouterInUse router delete "$ROUTER"
ok

step "deletes in the wrong order → 409: security group in use, router interface used by a floating IP"
os_refused 409 SecurityGroupInUse security group delete "$SG"
os_refused 409 RouterInterfaceInUseByFloatingIP router remove subnet "$ROUTER" "$SUBNET"
ok

# --- with Compute: a server on the new network, a floating IP, both addresses --------
IMAGE="$("$OS" --os-cloud tenrec-demo image list -f value -c Name -c Status 2>/dev/null | awk '$2 == "active" {print $1; exit}' || true)"
SERVER="e2e-server-$S"
if [[ -n $IMAGE ]]; then
  step "server create --network $NET (image $IMAGE), server add floating ip, server show lists both addresses"
  os server create --flavor m1.tiny --image "$IMAGE" --network "$NET" --wait "$SERVER" -f shell -c id -c status
  expect_eq "server status" "$(field status)" "ACTIVE"
  os floating ip create public -f shell -c floating_ip_address
  FIP2="$(field floating_ip_address)"
  os server add floating ip "$SERVER" "$FIP2"
  os server show "$SERVER" -f shell -c addresses -c security_groups
  expect_match "server addresses" "$(field addresses)" "'$NET': \['10\.10\.0\.[0-9]+', '$FIP2'\]"
  expect_match "server security groups" "$(field security_groups)" "'default'"
  os port list --server "$SERVER" -f value -c Status -c "Fixed IP Addresses"
  grep -q "ACTIVE" "$WORK/out" || fail "the server's port is not ACTIVE"
  ok

  step "server delete releases its port; the floating IP stays allocated"
  os server delete --wait "$SERVER"
  os floating ip show "$FIP2" -f shell -c port_id -c status
  expect_eq "floating IP port after the server delete" "$(field port_id)" "None"
  os floating ip delete "$FIP2"
  ok
else
  echo "[net --] no active image: the server steps are skipped"
fi

step "quota set --networks (admin) is enforced: one more network → 409 OverQuota"
os network list --internal -f value -c ID
USED="$(grep -c . "$WORK/out")"
CLOUD=tenrec os quota set --networks "$USED" demo
CLOUD=tenrec os quota list --network -f value -c Networks
grep -qxF "$USED" "$WORK/out" || fail "quota list does not show networks=$USED"
os_refused 409 OverQuota network create "$NET-over"
CLOUD=tenrec os quota set --networks 100 demo
ok

step "clean up in the right order"
os floating ip delete "$FIP"
os port delete "$PORT" "$PORT2" "$PORT-last"
os router remove subnet "$ROUTER" "$SUBNET"
os router unset --external-gateway "$ROUTER"
os router delete "$ROUTER"
os security group delete "$SG"
os subnet delete "$SUBNET"
os network delete "$NET" "$NET2" "$NET3" "$NET4"
os network list -f value -c Name
grep -qE -- "-$S\$" "$WORK/out" && fail "a network of this run is still listed"
ok

summary
