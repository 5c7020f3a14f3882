#!/usr/bin/env bash
# Drive tenrec's EC2 Query API (port 8773 + offset) with the real aws CLI
# (Debian's awscli v2), as a new user would: EC2 credentials from
# `openstack ec2 credentials create` (demo project), then images, key pairs,
# run → running → stop → start → console → terminate, volumes attached and
# detached, security groups, elastic IPs, tags and filters, VPCs and subnets,
# and bad input (wrong secret, unknown action, missing parameter, malformed id)
# answered with EC2 error codes. Each instance is also checked through
# `openstack server list`: the two faces share one state. Then boto3
# (ec2-boto3.py: waiters and paginators) when Debian's python3-boto3 is
# installed, skipped (and counted so) otherwise.
#
# Run by test/e2e/run.sh, which starts the cloud and exports
# OS_CLIENT_CONFIG_FILE (and TENREC_E2E_AUTH_URL).
#   TENREC_EC2_URL   the EC2 endpoint (default: identity's port − 5000 + 8773)
#
# Always /usr/bin/aws and /usr/bin/openstack. Everything it creates is removed.
set -euo pipefail

: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

AUTH_URL="${TENREC_E2E_AUTH_URL:-$(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)}"
IDENTITY_PORT="$(sed -E 's#^https?://[^:/]+:([0-9]+).*#\1#' <<<"$AUTH_URL")"
EC2_HOST="$(sed -E 's#^https?://([^:/]+).*#\1#' <<<"$AUTH_URL")"
EC2_URL="${TENREC_EC2_URL:-http://$EC2_HOST:$((IDENTITY_PORT - 5000 + 8773))}"

WORK="$(mktemp -d /tmp/tenrec-ec2cli.XXXXXX)"
OSC=(/usr/bin/openstack --os-cloud tenrec-demo)
OSC_ADMIN=(/usr/bin/openstack --os-cloud tenrec)
SUF="$$-$RANDOM"
ACCESS=""
IMAGE_UUID=""
INSTANCE=""
VOLUME=""
GROUP=""
ALLOC=""

STEP=0
PASSED=0
SKIPPED=0
CURRENT=""
summary() {
  echo "EC2 (aws CLI, boto3): $PASSED of $STEP steps passed, $SKIPPED skipped"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "ec2 $PASSED $((STEP - PASSED)) $SKIPPED" >>"$TENREC_E2E_SUMMARY"
  fi
}
cleanup() {
  set +e
  if [[ -n $ACCESS ]]; then
    [[ -n $INSTANCE ]] && "${AWS[@]}" terminate-instances --instance-ids "$INSTANCE" >/dev/null 2>&1
    [[ -n $ALLOC ]] && "${AWS[@]}" release-address --allocation-id "$ALLOC" >/dev/null 2>&1
    [[ -n $VOLUME ]] && "${AWS[@]}" delete-volume --volume-id "$VOLUME" >/dev/null 2>&1
    "${AWS[@]}" delete-key-pair --key-name "e2e-key-$SUF" >/dev/null 2>&1
    "${AWS[@]}" delete-key-pair --key-name "e2e-imported-$SUF" >/dev/null 2>&1
    [[ -n $GROUP ]] && "${AWS[@]}" delete-security-group --group-id "$GROUP" >/dev/null 2>&1
    "${OSC[@]}" ec2 credentials delete "$ACCESS" >/dev/null 2>&1
  fi
  [[ -n $IMAGE_UUID ]] && "${OSC_ADMIN[@]}" image delete "$IMAGE_UUID" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[ec2 %2d] %s\n' "$STEP" "$CURRENT"
}
ok() { PASSED=$((PASSED + 1)); }
fail() {
  echo "FAILED step $STEP ($CURRENT): $1"
  echo "--- command: ${LAST_CMD:-}"
  [[ -s "$WORK/out" ]] && { echo "--- its output:"; tail -n 30 "$WORK/out"; }
  [[ -s "$WORK/err" ]] && { echo "--- its stderr (last lines):"; grep -vE '^\s*$' "$WORK/err" | tail -n 30; }
  echo "---"
  summary
  exit 1
}
# run CMD...: stdout to $WORK/out (and $OUT), stderr to $WORK/err; a non-zero exit fails the step.
run() {
  LAST_CMD="$*"
  if ! "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command exited non-zero"; fi
  OUT="$(cat "$WORK/out")"
}
# refused CODE CMD...: the command must fail with EC2 error CODE.
refused() {
  local code="$1"
  shift
  LAST_CMD="$*"
  if "$@" >"$WORK/out" 2>"$WORK/err"; then fail "the command succeeded; expected $code"; fi
  grep -qF "($code)" "$WORK/err" || fail "expected the error code $code"
}
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_contains() { grep -qF -- "$2" <<<"$OUT" || fail "$1: no '$2' in the output"; }
expect_not_contains() { ! grep -qF -- "$2" <<<"$OUT" || fail "$1: unexpected '$2' in the output"; }
# poll SECONDS WANT CMD...: rerun CMD (text output) until it prints WANT.
poll() {
  local secs="$1" want="$2"
  shift 2
  LAST_CMD="$*"
  local i
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >"$WORK/out" 2>"$WORK/err" && [[ "$(tr -d '[:space:]' <"$WORK/out")" == "$want" ]]; then return 0; fi
    sleep 0.5
  done
  fail "still not '$want' after ${secs}s (last: $(tr -d '\n' <"$WORK/out"))"
}

echo "EC2 API (aws CLI) against $EC2_URL"

step "EC2 credentials through openstack ec2 credentials create (demo)"
run "${OSC[@]}" ec2 credentials create -f shell -c access -c secret
ACCESS="$(sed -n 's/^access="\(.*\)"$/\1/p' "$WORK/out")"
SECRET="$(sed -n 's/^secret="\(.*\)"$/\1/p' "$WORK/out")"
[[ -n $ACCESS && -n $SECRET ]] || fail "no access/secret in the output"
ok

export AWS_ACCESS_KEY_ID="$ACCESS" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_DEFAULT_REGION=RegionOne
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2
AWS=(/usr/bin/aws --endpoint-url "$EC2_URL" ec2)

step "describe-regions and describe-availability-zones"
run "${AWS[@]}" describe-regions --query 'Regions[].RegionName' --output text
expect_eq "region" "$OUT" "RegionOne"
run "${AWS[@]}" describe-availability-zones --query 'AvailabilityZones[].ZoneName' --output text
expect_contains "zones" "nova"
ok

step "describe-account-attributes and describe-instance-types"
run "${AWS[@]}" describe-account-attributes --attribute-names supported-platforms --query 'AccountAttributes[0].AttributeValues[0].AttributeValue' --output text
expect_eq "platforms" "$OUT" "VPC"
run "${AWS[@]}" describe-instance-types --instance-types m1.tiny --query 'InstanceTypes[0].MemoryInfo.SizeInMiB' --output text
expect_eq "m1.tiny memory" "$OUT" "512"
ok

step "describe-images shows the Glance images as ami- (uploading one when there is none)"
run "${AWS[@]}" describe-images --filters Name=name,Values=cirros* --query 'Images[0].ImageId' --output text
AMI="$OUT"
if [[ $AMI == None || -z $AMI ]]; then
  head -c 1048576 /dev/zero >"$WORK/tiny.raw"
  run "${OSC_ADMIN[@]}" image create --public --disk-format raw --container-format bare --file "$WORK/tiny.raw" "e2e-ec2-$SUF" -f value -c id
  IMAGE_UUID="$OUT"
  run "${AWS[@]}" describe-images --filters "Name=name,Values=e2e-ec2-$SUF" --query 'Images[0].ImageId' --output text
  AMI="$OUT"
fi
[[ $AMI =~ ^ami-[0-9a-f]{8,17}$ ]] || fail "not an ami- id: $AMI"
run "${AWS[@]}" describe-images --image-ids "$AMI" --query 'Images[0].[ImageId,State,ImageType]' --output text
expect_eq "image" "$(tr -s '\t' ' ' <<<"$OUT")" "$AMI available machine"
refused InvalidAMIID.NotFound "${AWS[@]}" describe-images --image-ids ami-0123456789abcdef0
ok

step "create-key-pair, duplicate refused, import-key-pair, describe-key-pairs"
run "${AWS[@]}" create-key-pair --key-name "e2e-key-$SUF" --query KeyMaterial --output text
expect_contains "private key" "PRIVATE KEY"
refused InvalidKeyPair.Duplicate "${AWS[@]}" create-key-pair --key-name "e2e-key-$SUF"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/id" >/dev/null
run "${AWS[@]}" import-key-pair --key-name "e2e-imported-$SUF" --public-key-material "fileb://$WORK/id.pub" --query KeyName --output text
expect_eq "imported" "$OUT" "e2e-imported-$SUF"
run "${AWS[@]}" describe-key-pairs --query 'KeyPairs[].KeyName' --output text
expect_contains "keys" "e2e-key-$SUF"
expect_contains "keys" "e2e-imported-$SUF"
run "${OSC[@]}" keypair list -f value -c Name
expect_contains "nova keypairs" "e2e-imported-$SUF"
ok

step "create-security-group, authorize-security-group-ingress (tcp/22), duplicate refused"
run "${AWS[@]}" create-security-group --group-name "e2e-web-$SUF" --description "e2e web" --query GroupId --output text
GROUP="$OUT"
[[ $GROUP =~ ^sg-[0-9a-f]{8,17}$ ]] || fail "not an sg- id: $GROUP"
run "${AWS[@]}" authorize-security-group-ingress --group-id "$GROUP" --protocol tcp --port 22 --cidr 0.0.0.0/0
refused InvalidPermission.Duplicate "${AWS[@]}" authorize-security-group-ingress --group-id "$GROUP" --protocol tcp --port 22 --cidr 0.0.0.0/0
run "${AWS[@]}" describe-security-groups --group-ids "$GROUP" --query 'SecurityGroups[0].IpPermissions[0].[IpProtocol,FromPort,ToPort,IpRanges[0].CidrIp]' --output text
expect_eq "rule" "$(tr -s '\t' ' ' <<<"$OUT")" "tcp 22 22 0.0.0.0/0"
run "${OSC[@]}" security group rule list "e2e-web-$SUF" -f value -c "Port Range"
expect_contains "neutron rule" "22:22"
ok

step "run-instances --image-id $AMI --instance-type m1.tiny (key, group, user data, Name tag)"
run "${AWS[@]}" run-instances --image-id "$AMI" --instance-type m1.tiny --key-name "e2e-key-$SUF" \
  --security-group-ids "$GROUP" --user-data 'echo hello' \
  --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=e2e-vm-$SUF}]" \
  --query 'Instances[0].InstanceId' --output text
INSTANCE="$OUT"
[[ $INSTANCE =~ ^i-[0-9a-f]{8,17}$ ]] || fail "not an i- id: $INSTANCE"
ok

step "describe-instances shows it running, with a private IP"
poll 120 running "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name' --output text
run "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].[InstanceType,KeyName,PrivateIpAddress,SecurityGroups[0].GroupName]' --output text
read -r itype ikey iip igroup <<<"$OUT"
expect_eq "type" "$itype" "m1.tiny"
expect_eq "key" "$ikey" "e2e-key-$SUF"
[[ $iip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no private IP: $iip"
expect_eq "group" "$igroup" "e2e-web-$SUF"
ok

step "openstack server list shows the same instance (ACTIVE)"
run "${OSC[@]}" server list -f value -c Name -c Status
expect_contains "server list" "e2e-vm-$SUF ACTIVE"
ok

step "describe-instances --filters Name=tag:Name and instance-state-name"
run "${AWS[@]}" describe-instances --filters "Name=tag:Name,Values=e2e-vm-$SUF" --query 'Reservations[].Instances[].InstanceId' --output text
expect_eq "by tag" "$OUT" "$INSTANCE"
run "${AWS[@]}" describe-instances --filters "Name=tag:Name,Values=e2e-vm-$SUF" Name=instance-state-name,Values=stopped --query 'Reservations[].Instances[].InstanceId' --output text
expect_eq "by tag and stopped" "$OUT" ""
ok

step "stop-instances → stopped"
run "${AWS[@]}" stop-instances --instance-ids "$INSTANCE" --query 'StoppingInstances[0].PreviousState.Name' --output text
expect_eq "previous" "$OUT" "running"
poll 120 stopped "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name' --output text
run "${OSC[@]}" server list -f value -c Name -c Status
expect_contains "server list" "e2e-vm-$SUF SHUTOFF"
ok

step "start-instances → running"
run "${AWS[@]}" start-instances --instance-ids "$INSTANCE" --query 'StartingInstances[0].PreviousState.Code' --output text
expect_eq "previous code" "$OUT" "80"
poll 120 running "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name' --output text
ok

step "get-console-output and reboot-instances"
run "${AWS[@]}" get-console-output --instance-id "$INSTANCE" --query InstanceId --output text
expect_eq "console" "$OUT" "$INSTANCE"
run "${AWS[@]}" reboot-instances --instance-ids "$INSTANCE"
ok

step "create-volume → available, attach-volume → in-use (also in openstack volume list)"
run "${AWS[@]}" create-volume --size 1 --availability-zone nova --tag-specifications "ResourceType=volume,Tags=[{Key=Name,Value=e2e-vol-$SUF}]" --query VolumeId --output text
VOLUME="$OUT"
[[ $VOLUME =~ ^vol-[0-9a-f]{8,17}$ ]] || fail "not a vol- id: $VOLUME"
poll 60 available "${AWS[@]}" describe-volumes --volume-ids "$VOLUME" --query 'Volumes[0].State' --output text
run "${AWS[@]}" attach-volume --volume-id "$VOLUME" --instance-id "$INSTANCE" --device /dev/vdb --query State --output text
expect_eq "attach" "$OUT" "attaching"
poll 120 in-use "${AWS[@]}" describe-volumes --volume-ids "$VOLUME" --query 'Volumes[0].State' --output text
run "${AWS[@]}" describe-volumes --volume-ids "$VOLUME" --query 'Volumes[0].Attachments[0].[InstanceId,State]' --output text
expect_eq "attachment" "$(tr -s '\t' ' ' <<<"$OUT")" "$INSTANCE attached"
run "${OSC[@]}" volume list -f value -c Name -c Status
expect_contains "cinder" "e2e-vol-$SUF in-use"
ok

step "detach-volume → available, create-snapshot → completed, delete both"
run "${AWS[@]}" detach-volume --volume-id "$VOLUME" --query State --output text
expect_eq "detach" "$OUT" "detaching"
poll 120 available "${AWS[@]}" describe-volumes --volume-ids "$VOLUME" --query 'Volumes[0].State' --output text
run "${AWS[@]}" create-snapshot --volume-id "$VOLUME" --description e2e --query SnapshotId --output text
SNAP="$OUT"
poll 60 completed "${AWS[@]}" describe-snapshots --snapshot-ids "$SNAP" --query 'Snapshots[0].State' --output text
run "${AWS[@]}" delete-snapshot --snapshot-id "$SNAP"
poll 60 "" "${AWS[@]}" describe-snapshots --filters "Name=snapshot-id,Values=$SNAP" --query 'Snapshots[].SnapshotId' --output text
run "${AWS[@]}" delete-volume --volume-id "$VOLUME"
poll 60 "" "${AWS[@]}" describe-volumes --filters "Name=volume-id,Values=$VOLUME" --query 'Volumes[].VolumeId' --output text
VOLUME=""
ok

step "allocate-address, associate-address, describe-addresses, disassociate, release"
run "${AWS[@]}" allocate-address --domain vpc --query '[AllocationId,PublicIp]' --output text
read -r ALLOC PUBIP <<<"$OUT"
[[ $ALLOC =~ ^eipalloc-[0-9a-f]{8,17}$ ]] || fail "not an eipalloc- id: $ALLOC"
run "${AWS[@]}" associate-address --allocation-id "$ALLOC" --instance-id "$INSTANCE" --query AssociationId --output text
ASSOC="$OUT"
run "${AWS[@]}" describe-addresses --allocation-ids "$ALLOC" --query 'Addresses[0].[PublicIp,InstanceId]' --output text
expect_eq "address" "$(tr -s '\t' ' ' <<<"$OUT")" "$PUBIP $INSTANCE"
run "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].PublicIpAddress' --output text
expect_eq "instance public ip" "$OUT" "$PUBIP"
run "${OSC[@]}" floating ip list -f value -c "Floating IP Address" -c "Fixed IP Address"
expect_contains "neutron fip" "$PUBIP $iip"
run "${AWS[@]}" disassociate-address --association-id "$ASSOC"
run "${AWS[@]}" release-address --allocation-id "$ALLOC"
ALLOC=""
run "${AWS[@]}" describe-addresses --query 'Addresses[].PublicIp' --output text
expect_not_contains "released" "$PUBIP"
ok

step "create-tags, describe-tags, delete-tags"
run "${AWS[@]}" create-tags --resources "$INSTANCE" --tags Key=env,Value=e2e
run "${AWS[@]}" describe-tags --filters "Name=resource-id,Values=$INSTANCE" --query 'Tags[].[Key,Value]' --output text
expect_contains "tags" "env	e2e"
expect_contains "tags" "Name	e2e-vm-$SUF"
run "${AWS[@]}" delete-tags --resources "$INSTANCE" --tags Key=env
run "${AWS[@]}" describe-instances --filters Name=tag-key,Values=env --query 'Reservations[].Instances[].InstanceId' --output text
expect_not_contains "deleted tag" "$INSTANCE"
ok

step "describe-vpcs and describe-subnets (Neutron networks)"
run "${AWS[@]}" describe-vpcs --query 'Vpcs[].VpcId' --output text
[[ $OUT =~ vpc-[0-9a-f]+ ]] || fail "no vpc- ids"
run "${AWS[@]}" describe-subnets --query 'Subnets[].[SubnetId,CidrBlock]' --output text
[[ $OUT =~ subnet-[0-9a-f]+ ]] || fail "no subnet- ids"
ok

step "bad input: wrong secret → AuthFailure, malformed id, missing parameter, unknown action"
refused AuthFailure env AWS_SECRET_ACCESS_KEY=wrong "${AWS[@]}" describe-instances
refused InvalidInstanceID.Malformed "${AWS[@]}" describe-instances --instance-ids i-xyz
refused InvalidInstanceID.NotFound "${AWS[@]}" stop-instances --instance-ids i-0123456789abcdef0
refused InvalidParameterValue "${AWS[@]}" run-instances --image-id "$AMI" --instance-type m9.nope
refused MissingParameter "${AWS[@]}" create-volume --availability-zone nova
LAST_CMD="curl --aws-sigv4 … Action=FlyToTheMoon"
code="$(curl -s -o "$WORK/out" -w '%{http_code}' --aws-sigv4 "aws:amz:RegionOne:ec2" --user "$ACCESS:$SECRET" \
  -H 'content-type: application/x-www-form-urlencoded' -d 'Action=FlyToTheMoon&Version=2016-11-15' "$EC2_URL/")"
expect_eq "unknown action status" "$code" "400"
grep -qF '<Code>InvalidAction</Code>' "$WORK/out" || fail "no InvalidAction code"
run "${AWS[@]}" describe-instances --filters "Name=instance-state-name,Values=pending,running,stopped" --query 'length(Reservations[].Instances[])' --output text
expect_eq "nothing extra created" "$OUT" "1"
ok

if /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
  step "boto3 (python3-boto3): run_instances ×2, waiters running/stopped/terminated, paginator, volume waiters, ClientError"
  LAST_CMD="test/e2e/ec2-boto3.py"
  if ! EC2_URL="$EC2_URL" AMI="$AMI" timeout 300 /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/ec2-boto3.py" >"$WORK/out" 2>"$WORK/err"; then
    fail "the boto3 script failed"
  fi
  ok
else
  SKIPPED=$((SKIPPED + 1))
  echo "[ec2 --] boto3 checks skipped: Debian's python3-boto3 is not installed (apt-get install python3-boto3)"
fi

step "terminate-instances → terminated, gone from openstack server list"
run "${AWS[@]}" terminate-instances --instance-ids "$INSTANCE" --query 'TerminatingInstances[0].CurrentState.Name' --output text
[[ $OUT == shutting-down || $OUT == terminated ]] || fail "unexpected state $OUT"
poll 120 terminated "${AWS[@]}" describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name' --output text
poll 60 "" bash -c "${OSC[*]} server list -f value -c Name | grep -F 'e2e-vm-$SUF' || true"
INSTANCE=""
ok

step "delete-security-group and delete-key-pair"
run "${AWS[@]}" delete-security-group --group-id "$GROUP"
GROUP=""
run "${AWS[@]}" delete-key-pair --key-name "e2e-key-$SUF"
run "${AWS[@]}" delete-key-pair --key-name "e2e-imported-$SUF"
run "${AWS[@]}" describe-key-pairs --query 'KeyPairs[].KeyName' --output text
expect_not_contains "keys" "e2e-key-$SUF"
ok

summary
