#!/usr/bin/env bash
# Drive tenrec's Keystone with the real python-openstackclient and check what
# it prints. Run by test/e2e/run.sh, which starts the cloud and exports
# OS_CLIENT_CONFIG_FILE (tenrec's clouds.yaml: clouds `tenrec` and
# `tenrec-demo`) and TENREC_E2E_AUTH_URL.
#
# Always /usr/bin/openstack: `python3` on PATH may be a pyenv interpreter that
# cannot load Debian's Python libraries. Each call costs ~1.2 s of Python
# start-up, so every step is one call and checks as much as it can.
#
# Every call runs with --debug, its stderr kept aside: when a step fails the
# script prints the command's output and the tail of that log, which holds
# the HTTP requests and responses (keystoneauth's REQ:/RESP: lines).
set -euo pipefail

OS=/usr/bin/openstack
: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
# Only the clouds.yaml may steer the client: drop any other OS_* variable
# (an OS_CLOUD or OS_AUTH_URL from a developer's shell would change the cloud).
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

AUTH_URL="${TENREC_E2E_AUTH_URL:-$(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)}"
WORK="$(mktemp -d /tmp/tenrec-cli.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

SUFFIX="$$-$RANDOM"
PROJECT="e2e-project-$SUFFIX"
USERNAME="e2e-user-$SUFFIX"
USER_PASSWORD="e2e-pw-$SUFFIX"
APPCRED="e2e-appcred-$SUFFIX"

STEP=0
PASSED=0
CURRENT=""

summary() {
  echo "openstack CLI: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "cli $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}

# step "description": announce the next step.
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[cli %2d] %s\n' "$STEP" "$CURRENT"
}

# ok: the current step passed.
ok() { PASSED=$((PASSED + 1)); }

# fail "why": print the last command's output and --debug log, then stop.
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

# os ARGS...: run the CLI; its stdout lands in $OUT. Fails the step on a
# non-zero exit.
os() {
  LAST_CMD="$*"
  if ! "$OS" --debug "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "the command exited non-zero"
  fi
  OUT="$(cat "$WORK/out")"
}

# field NAME: value of NAME in the last `-f shell` output.
field() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$WORK/out"; }

# has_line TEXT: the last output has exactly this line.
has_line() { grep -qxF -- "$1" "$WORK/out"; }

expect_eq() { # expect_eq WHAT ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
}
expect_nonempty() { # expect_nonempty WHAT VALUE
  [[ -n "$2" ]] || fail "$1 is empty"
}
expect_line() { # expect_line TEXT
  has_line "$1" || fail "no line '$1' in the output"
}

echo "openstack CLI against $AUTH_URL ($("$OS" --version 2>&1))"

# --- admin: token and catalog ------------------------------------------------
step "token issue as admin (cloud tenrec)"
os --os-cloud tenrec token issue -f shell -c id -c project_id -c user_id -c expires
expect_nonempty "token id" "$(field id)"
expect_nonempty "project_id" "$(field project_id)"
expect_nonempty "user_id" "$(field user_id)"
ok

step "catalog list shows keystone (identity)"
os --os-cloud tenrec catalog list -f value -c Name -c Type
expect_line "keystone identity"
ok

# --- project and user -------------------------------------------------------
step "project create $PROJECT"
os --os-cloud tenrec project create "$PROJECT" --domain default --description "tenrec e2e" -f shell -c id -c name -c domain_id -c enabled
PROJECT_ID="$(field id)"
expect_nonempty "project id" "$PROJECT_ID"
expect_eq "project name" "$(field name)" "$PROJECT"
expect_eq "project domain_id" "$(field domain_id)" "default"
expect_eq "project enabled" "$(field enabled)" "True"
ok

step "project list shows $PROJECT and admin"
os --os-cloud tenrec project list -f value -c Name
expect_line "$PROJECT"
expect_line "admin"
ok

step "user create $USERNAME --password"
os --os-cloud tenrec user create "$USERNAME" --domain default --password "$USER_PASSWORD" -f shell -c id -c name -c domain_id
USER_ID="$(field id)"
expect_nonempty "user id" "$USER_ID"
expect_eq "user name" "$(field name)" "$USERNAME"
expect_eq "user domain_id" "$(field domain_id)" "default"
ok

step "role add --project $PROJECT --user $USERNAME member"
os --os-cloud tenrec role add --project "$PROJECT" --user "$USERNAME" member
ok

# --- the new user -------------------------------------------------------------
# A clouds.yaml of our own: tenrec's clouds plus one for the new user.
cp "$OS_CLIENT_CONFIG_FILE" "$WORK/clouds.yaml"
cat >>"$WORK/clouds.yaml" <<EOF
  e2e-user:
    auth:
      auth_url: $AUTH_URL
      username: $USERNAME
      password: "$USER_PASSWORD"
      project_name: $PROJECT
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
export OS_CLIENT_CONFIG_FILE="$WORK/clouds.yaml"

step "token issue as $USERNAME, scoped to $PROJECT"
os --os-cloud e2e-user token issue -f shell -c id -c project_id -c user_id
expect_nonempty "token id" "$(field id)"
expect_eq "token project_id" "$(field project_id)" "$PROJECT_ID"
expect_eq "token user_id" "$(field user_id)" "$USER_ID"
ok

# A member may not list all projects: Keystone answers GET /v3/projects with
# 403 and the CLI then falls back to GET /v3/users/{id}/projects, so the
# command succeeds and shows the user's own projects only.
step "project list as $USERNAME shows only $PROJECT (GET /v3/projects refused)"
os --os-cloud e2e-user project list -f value -c Name
expect_eq "projects listed for the member" "$OUT" "$PROJECT"
grep -qE 'GET /v3/projects HTTP/1\.[01]" 403' "$WORK/err" ||
  fail "GET /v3/projects as a member was not answered 403 (see the log)"
grep -qE "GET /v3/users/$USER_ID/projects HTTP/1\.[01]\" 200" "$WORK/err" ||
  fail "the fallback GET /v3/users/$USER_ID/projects did not answer 200"
ok

# --- application credential -----------------------------------------------------
step "application credential create $APPCRED (as $USERNAME)"
os --os-cloud e2e-user application credential create "$APPCRED" -f shell -c id -c secret -c project_id -c name
APPCRED_ID="$(field id)"
APPCRED_SECRET="$(field secret)"
expect_nonempty "application credential id" "$APPCRED_ID"
expect_nonempty "application credential secret" "$APPCRED_SECRET"
expect_eq "application credential project_id" "$(field project_id)" "$PROJECT_ID"
ok

step "token issue with --os-auth-type v3applicationcredential"
os --os-auth-type v3applicationcredential --os-auth-url "$AUTH_URL" \
  --os-application-credential-id "$APPCRED_ID" \
  --os-application-credential-secret "$APPCRED_SECRET" \
  --os-region-name RegionOne --os-identity-api-version 3 \
  token issue -f shell -c id -c project_id -c user_id
expect_nonempty "token id" "$(field id)"
expect_eq "application credential token project_id" "$(field project_id)" "$PROJECT_ID"
expect_eq "application credential token user_id" "$(field user_id)" "$USER_ID"
ok

# --- EC2 credentials ----------------------------------------------------------------
step "ec2 credentials create (as $USERNAME)"
os --os-cloud e2e-user ec2 credentials create -f shell -c access -c secret -c project_id -c user_id
EC2_ACCESS="$(field access)"
expect_nonempty "ec2 access" "$EC2_ACCESS"
expect_nonempty "ec2 secret" "$(field secret)"
expect_eq "ec2 project_id" "$(field project_id)" "$PROJECT_ID"
expect_eq "ec2 user_id" "$(field user_id)" "$USER_ID"
ok

step "ec2 credentials list shows it"
os --os-cloud e2e-user ec2 credentials list -f value -c Access -c "Project ID"
expect_line "$EC2_ACCESS $PROJECT_ID"
ok

# --- admin views -------------------------------------------------------------------------
step "domain list shows Default (id default)"
os --os-cloud tenrec domain list -f value -c ID -c Name -c Enabled
expect_line "default Default True"
ok

step "role assignment list --names"
os --os-cloud tenrec role assignment list --names -f value -c Role -c User -c Project
expect_line "member $USERNAME@Default $PROJECT@Default"
expect_line "admin admin@Default admin@Default"
ok

step "project delete $PROJECT"
os --os-cloud tenrec project delete "$PROJECT"
ok

step "project list no longer shows $PROJECT"
os --os-cloud tenrec project list -f value -c Name
has_line "$PROJECT" && fail "$PROJECT is still listed after its delete"
expect_line "admin"
ok

summary
