#!/usr/bin/env bash
# The dashboard seen from the real client's side: python-openstackclient
# finds it in the catalog and creates resources as demo; the dashboard (plain
# curl here, like a browser without JavaScript: session cookie + CSRF token)
# must show exactly those, keep demo out of the admin panels, refuse a form
# without its CSRF token, and sign out. Run by test/e2e/run.sh, which starts
# the cloud and exports OS_CLIENT_CONFIG_FILE. Leaves nothing behind.
# (The full browser flow is test/dashboard/browser.test.ts in `bun test`.)
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

WORK="$(mktemp -d /tmp/tenrec-dashboard-cli.XXXXXX)"
SUFFIX="$$-$RANDOM"
KEY="dash-e2e-key-$SUFFIX"
CONTAINER="dash-e2e-$SUFFIX"
STEP=0
PASSED=0
CURRENT=""

cleanup() {
  "$OS" --os-cloud tenrec-demo keypair delete "$KEY" >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec-demo object delete "$CONTAINER" hello.txt >/dev/null 2>&1 || true
  "$OS" --os-cloud tenrec-demo container delete "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

summary() {
  echo "dashboard CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[dashboard %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  for f in out err page; do
    if [[ -s "$WORK/$f" ]]; then
      echo "--- $f:"
      sed -e 's/<[^>]*>/ /g' "$WORK/$f" | tr -s ' \n' | tail -c 1500
      echo
    fi
  done
  summary
  exit 1
}
os() {
  if ! "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "openstack $* exited non-zero"
  fi
}

# A browser without JavaScript: one cookie jar per user; CSRF from the last page.
get() { # get JAR PATH → status in $STATUS, body in $WORK/page
  STATUS="$(curl -s -o "$WORK/page" -w '%{http_code}' -b "$WORK/$1.jar" -c "$WORK/$1.jar" "$DASH$2")"
}
post() { # post JAR PATH [curl --data-urlencode args...] (adds the CSRF token of the last page)
  local jar="$1" path="$2"
  shift 2
  local csrf
  csrf="$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$WORK/page" | head -n 1)"
  STATUS="$(curl -s -o "$WORK/page" -w '%{http_code}' -D "$WORK/headers" -b "$WORK/$jar.jar" -c "$WORK/$jar.jar" \
    --data-urlencode "csrfmiddlewaretoken=$csrf" "$@" "$DASH$path")"
}
login() { # login JAR USER PASSWORD
  get "$1" /auth/login
  post "$1" /auth/login --data-urlencode "domain=Default" --data-urlencode "username=$2" --data-urlencode "password=$3"
  [[ $STATUS == 303 ]] || fail "login as $2 answered $STATUS"
  grep -qi '^location: /project/' "$WORK/headers" || fail "login as $2 did not go to /project/"
}
password_of() {
  /usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["clouds"][sys.argv[2]]["auth"]["password"])' "$OS_CLIENT_CONFIG_FILE" "$1"
}

step "the catalog lists the dashboard (openstack catalog show dashboard)"
os --os-cloud tenrec catalog show dashboard -f json
DASH="$(/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); eps = d["endpoints"]; eps = eps if isinstance(eps, list) else []; print(next((e["url"] for e in eps if e.get("interface") == "public"), ""))' "$WORK/out" 2>/dev/null || true)"
if [[ -z $DASH ]]; then DASH="$(grep -o 'http://[^ ",]*' "$WORK/out" | head -n 1)"; fi
DASH="${DASH%/}"
[[ -n $DASH ]] || fail "no dashboard URL in the catalog"
echo "  dashboard at $DASH"
ok

DEMO_PW="$(password_of tenrec-demo)"
ADMIN_PW="$(password_of tenrec)"

step "the login page sets an HttpOnly, SameSite=Lax session cookie"
curl -s -D "$WORK/headers" -o "$WORK/page" "$DASH/auth/login"
grep -i '^set-cookie:' "$WORK/headers" | grep -qi 'httponly' || fail "no HttpOnly cookie"
grep -i '^set-cookie:' "$WORK/headers" | grep -qi 'samesite=lax' || fail "no SameSite=Lax cookie"
ok

step "demo creates a key pair and an object with the CLI"
os --os-cloud tenrec-demo keypair create "$KEY"
echo "hello from the CLI" >"$WORK/hello.txt"
os --os-cloud tenrec-demo container create "$CONTAINER"
(cd "$WORK" && "$OS" --os-cloud tenrec-demo object create "$CONTAINER" hello.txt >"$WORK/out" 2>"$WORK/err") || fail "object create"
ok

step "a wrong password is a readable 401"
get demo /auth/login
post demo /auth/login --data-urlencode "domain=Default" --data-urlencode "username=demo" --data-urlencode "password=not-$DEMO_PW"
[[ $STATUS == 401 ]] || fail "answered $STATUS"
grep -q 'Invalid credentials' "$WORK/page" || fail "no readable message"
ok

step "demo logs in; the dashboard shows the CLI's key pair and object"
login demo demo "$DEMO_PW"
get demo /project/keypairs
[[ $STATUS == 200 ]] || fail "key pairs page answered $STATUS"
grep -q "$KEY" "$WORK/page" || fail "key pair $KEY not on the page"
get demo "/project/containers/$CONTAINER"
grep -q 'hello.txt' "$WORK/page" || fail "object not listed"
curl -s -b "$WORK/demo.jar" -o "$WORK/dl" "$DASH/project/containers/$CONTAINER/download?name=hello.txt"
[[ "$(cat "$WORK/dl")" == "hello from the CLI" ]] || fail "download differs"
ok

step "every project page renders for demo"
for p in /project/ /project/instances /project/instances/launch /project/images /project/volumes /project/network /project/containers; do
  get demo "$p"
  [[ $STATUS == 200 ]] || fail "$p answered $STATUS"
done
ok

step "a form without its CSRF token is refused (403)"
STATUS="$(curl -s -o "$WORK/page" -w '%{http_code}' -b "$WORK/demo.jar" --data-urlencode "name=x" "$DASH/project/keypairs/import")"
[[ $STATUS == 403 ]] || fail "answered $STATUS"
ok

step "demo is kept out of the admin panels (403)"
for p in /admin/hypervisors /admin/instances /admin/flavors /admin/identity /admin/services; do
  get demo "$p"
  [[ $STATUS == 403 ]] || fail "$p answered $STATUS"
done
ok

step "the dashboard deletes the key pair; the CLI no longer lists it"
get demo /project/keypairs
post demo "/project/keypairs/$KEY/delete"
[[ $STATUS == 303 ]] || fail "delete answered $STATUS"
os --os-cloud tenrec-demo keypair list -f value -c Name
if grep -qxF "$KEY" "$WORK/out"; then fail "the CLI still lists $KEY"; fi
ok

step "admin sees the admin panels"
login admin admin "$ADMIN_PW"
for p in /admin/hypervisors /admin/instances /admin/flavors /admin/identity /admin/services; do
  get admin "$p"
  [[ $STATUS == 200 ]] || fail "$p answered $STATUS"
done
grep -q 'nova-compute\|compute' "$WORK/page" || fail "services page lists no compute service"
ok

step "sign out ends the session"
get demo /project/
post demo /auth/logout
[[ $STATUS == 303 ]] || fail "logout answered $STATUS"
get demo /project/
[[ $STATUS == 302 ]] || fail "after sign-out /project/ answered $STATUS (expected a redirect to the login)"
ok

summary
