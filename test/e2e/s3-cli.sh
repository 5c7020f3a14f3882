#!/usr/bin/env bash
# Drive tenrec's S3 API (port 9000 + offset) with the real clients: Debian's
# awscli v2 (`aws s3` and `aws s3api`, a 12 MiB multipart `cp`, `presign` then
# curl) and s3cmd (signature v4, no SSL). Run by test/e2e/run.sh, which starts
# the cloud and exports OS_CLIENT_CONFIG_FILE (and TENREC_E2E_AUTH_URL); the
# EC2 credentials come from /usr/bin/openstack.
#
#   TENREC_S3_URL   the S3 endpoint (default: identity's port − 5000 + 9000)
#
# Always /usr/bin/aws and /usr/bin/s3cmd (`aws` on PATH may be a v1 shim, and
# `python3` on PATH a pyenv that cannot load Debian's libraries).
set -euo pipefail

: "${OS_CLIENT_CONFIG_FILE:?OS_CLIENT_CONFIG_FILE must point at the clouds.yaml of tenrec}"
while IFS= read -r v; do
  [[ $v == OS_CLIENT_CONFIG_FILE ]] || unset "$v"
done < <(compgen -e | grep '^OS_' || true)

AUTH_URL="${TENREC_E2E_AUTH_URL:-$(sed -n 's/^ *auth_url: *//p' "$OS_CLIENT_CONFIG_FILE" | head -n 1)}"
IDENTITY_PORT="$(sed -E 's#^https?://[^:/]+:([0-9]+).*#\1#' <<<"$AUTH_URL")"
S3_HOST="$(sed -E 's#^https?://([^:/]+).*#\1#' <<<"$AUTH_URL")"
S3_PORT=$((IDENTITY_PORT - 5000 + 9000))
S3_URL="${TENREC_S3_URL:-http://$S3_HOST:$S3_PORT}"

WORK="$(mktemp -d /tmp/tenrec-s3cli.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
BUCKET="e2e-s3-$$-$RANDOM"
BUCKET2="e2e-s3cmd-$$-$RANDOM"

STEP=0
PASSED=0
CURRENT=""
summary() {
  echo "S3 clients: $PASSED of $STEP steps passed"
  if [[ -n "${TENREC_E2E_SUMMARY:-}" ]]; then
    echo "s3 $PASSED $((STEP - PASSED)) 0" >>"$TENREC_E2E_SUMMARY"
  fi
}
step() {
  STEP=$((STEP + 1))
  CURRENT="$*"
  printf '[s3 %2d] %s\n' "$STEP" "$CURRENT"
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
expect_eq() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect_contains() { grep -qF -- "$2" <<<"$OUT" || fail "$1: no '$2' in the output"; }
expect_not_contains() { ! grep -qF -- "$2" <<<"$OUT" || fail "$1: unexpected '$2' in the output"; }

echo "S3 clients against $S3_URL"

step "EC2 credentials through openstack ec2 credentials create"
run /usr/bin/openstack --os-cloud tenrec ec2 credentials create -f shell -c access -c secret
ACCESS="$(sed -n 's/^access="\(.*\)"$/\1/p' "$WORK/out")"
SECRET="$(sed -n 's/^secret="\(.*\)"$/\1/p' "$WORK/out")"
[[ -n $ACCESS && -n $SECRET ]] || fail "no access/secret in the output"
ok

# aws reads only what we give it.
export AWS_ACCESS_KEY_ID="$ACCESS" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_DEFAULT_REGION=RegionOne
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
AWS=(/usr/bin/aws --endpoint-url "$S3_URL")
AWSAPI=(/usr/bin/aws --endpoint-url "$S3_URL")

printf 'hello from aws\n' >"$WORK/small.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"

step "aws s3 mb s3://$BUCKET (sends a LocationConstraint)"
run "${AWS[@]}" s3 mb "s3://$BUCKET"
expect_contains "mb" "make_bucket: $BUCKET"
ok

step "aws s3 ls lists the bucket"
run "${AWS[@]}" s3 ls
expect_contains "ls" " $BUCKET"
ok

step "aws s3 cp a small file, and a 12 MiB file (multipart)"
run "${AWS[@]}" s3 cp --no-progress "$WORK/small.txt" "s3://$BUCKET/dir/small file.txt"
run "${AWS[@]}" s3 cp --no-progress "$WORK/big.bin" "s3://$BUCKET/big.bin"
run "${AWSAPI[@]}" s3api head-object --bucket "$BUCKET" --key big.bin --query '[ContentLength, ETag]' --output text
[[ $OUT =~ ^12582912[[:space:]]+\"[0-9a-f]{32}-2\"$ ]] || fail "big.bin: '$OUT' is not 12582912 with a 2-part multipart ETag"
ok

step "aws s3 ls --recursive shows both keys"
run "${AWS[@]}" s3 ls --recursive "s3://$BUCKET"
expect_contains "ls" "dir/small file.txt"
expect_contains "ls" "12582912 big.bin"
ok

step "aws s3 cp back (concurrent ranged GETs) is byte-identical"
run "${AWS[@]}" s3 cp --no-progress "s3://$BUCKET/big.bin" "$WORK/big.out"
cmp -s "$WORK/big.bin" "$WORK/big.out" || fail "downloaded big.bin differs"
run "${AWS[@]}" s3 cp --no-progress "s3://$BUCKET/dir/small file.txt" "$WORK/small.out"
cmp -s "$WORK/small.txt" "$WORK/small.out" || fail "downloaded small file differs"
ok

step "s3api put-object with metadata and Content-MD5, get-object, list-objects-v2 with a delimiter"
MD5="$(openssl dgst -md5 -binary "$WORK/small.txt" | base64)"
run "${AWSAPI[@]}" s3api put-object --bucket "$BUCKET" --key meta.txt --body "$WORK/small.txt" --content-md5 "$MD5" --metadata color=blue --content-type text/plain
expect_contains "put-object" "\\\"$(openssl dgst -md5 -hex "$WORK/small.txt" | sed 's/.*= //')\\\""
run "${AWSAPI[@]}" s3api get-object --bucket "$BUCKET" --key meta.txt "$WORK/meta.out"
expect_contains "get-object" '"color": "blue"'
expect_contains "get-object" '"ContentType": "text/plain"'
run "${AWSAPI[@]}" s3api list-objects-v2 --bucket "$BUCKET" --delimiter / --query '[Contents[].Key, CommonPrefixes[].Prefix]' --output text
expect_contains "list" "big.bin"
expect_contains "list" "dir/"
ok

step "s3api put-object with a wrong Content-MD5 → BadDigest, and nothing stored"
WRONG="$(printf 'other' | openssl dgst -md5 -binary | base64)"
LAST_CMD="aws s3api put-object --content-md5 (wrong)"
if "${AWSAPI[@]}" s3api put-object --bucket "$BUCKET" --key bad.txt --body "$WORK/small.txt" --content-md5 "$WRONG" >"$WORK/out" 2>"$WORK/err"; then
  fail "put-object with a wrong Content-MD5 succeeded"
fi
grep -q "BadDigest" "$WORK/err" || fail "no BadDigest in the error"
if "${AWSAPI[@]}" s3api head-object --bucket "$BUCKET" --key bad.txt >"$WORK/out" 2>"$WORK/err"; then fail "bad.txt exists"; fi
ok

step "s3api copy-object, then get-object of a missing key → NoSuchKey"
run "${AWSAPI[@]}" s3api copy-object --bucket "$BUCKET" --key copy.txt --copy-source "$BUCKET/meta.txt"
expect_contains "copy-object" "CopyObjectResult"
LAST_CMD="aws s3api get-object (missing key)"
if "${AWSAPI[@]}" s3api get-object --bucket "$BUCKET" --key missing "$WORK/x" >"$WORK/out" 2>"$WORK/err"; then fail "got a missing key"; fi
grep -q "NoSuchKey" "$WORK/err" || fail "no NoSuchKey in the error"
ok

step "aws s3 presign, then curl: 200 with the body; tampered → 403 SignatureDoesNotMatch"
run "${AWS[@]}" s3 presign "s3://$BUCKET/dir/small file.txt" --expires-in 300
URL="$OUT"
run curl -sS -o "$WORK/presigned.out" -w '%{http_code}' "$URL"
expect_eq "presigned GET status" "$OUT" "200"
cmp -s "$WORK/small.txt" "$WORK/presigned.out" || fail "presigned GET body differs"
TAMPERED="$(sed -E 's/(X-Amz-Signature=)(.)/\1\2\2/; s/(X-Amz-Signature=[0-9a-f]{64})[0-9a-f]/\1/' <<<"$URL")"
[[ $TAMPERED != "$URL" ]] || fail "could not tamper the URL"
run curl -sS -w '\n%{http_code}' "$TAMPERED"
expect_contains "tampered" "<Code>SignatureDoesNotMatch</Code>"
expect_contains "tampered" "403"
ok

step "aws s3 rb on a non-empty bucket fails (BucketNotEmpty); rm --recursive then rb"
LAST_CMD="aws s3 rb (not empty)"
if "${AWS[@]}" s3 rb "s3://$BUCKET" >"$WORK/out" 2>"$WORK/err"; then fail "rb of a non-empty bucket succeeded"; fi
grep -q "BucketNotEmpty" "$WORK/err" || fail "no BucketNotEmpty in the error"
run "${AWS[@]}" s3 rm --recursive "s3://$BUCKET"
expect_contains "rm" "delete: s3://$BUCKET/big.bin"
run "${AWS[@]}" s3 rb "s3://$BUCKET"
expect_contains "rb" "remove_bucket: $BUCKET"
run "${AWS[@]}" s3 ls
expect_not_contains "ls after rb" " $BUCKET"
ok

# --- s3cmd -------------------------------------------------------------------
HOSTPORT="${S3_URL#http://}"
cat >"$WORK/s3cfg" <<EOF
[default]
access_key = $ACCESS
secret_key = $SECRET
host_base = $HOSTPORT
host_bucket = $HOSTPORT
bucket_location = RegionOne
use_https = False
signature_v2 = False
EOF
S3CMD=(/usr/bin/s3cmd -c "$WORK/s3cfg")

step "s3cmd mb, put, ls"
run "${S3CMD[@]}" mb "s3://$BUCKET2"
run "${S3CMD[@]}" put "$WORK/small.txt" "s3://$BUCKET2/a/small.txt"
run "${S3CMD[@]}" put "$WORK/big.bin" "s3://$BUCKET2/big.bin"
run "${S3CMD[@]}" ls "s3://$BUCKET2"
expect_contains "ls" "DIR  s3://$BUCKET2/a/"
expect_contains "ls" "s3://$BUCKET2/big.bin"
run "${S3CMD[@]}" ls -r "s3://$BUCKET2"
expect_contains "ls -r" "s3://$BUCKET2/a/small.txt"
ok

step "s3cmd get is byte-identical; del; rb"
run "${S3CMD[@]}" get --force "s3://$BUCKET2/a/small.txt" "$WORK/s3cmd-small.out"
cmp -s "$WORK/small.txt" "$WORK/s3cmd-small.out" || fail "s3cmd get differs"
run "${S3CMD[@]}" get --force "s3://$BUCKET2/big.bin" "$WORK/s3cmd-big.out"
cmp -s "$WORK/big.bin" "$WORK/s3cmd-big.out" || fail "s3cmd get of big.bin differs"
run "${S3CMD[@]}" del --recursive --force "s3://$BUCKET2"
run "${S3CMD[@]}" rb "s3://$BUCKET2"
expect_contains "rb" "removed"
ok

summary
