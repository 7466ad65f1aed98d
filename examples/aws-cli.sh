#!/bin/sh
# The AWS CLI through certcreds: a credential_process profile, the shared credentials file, and the local endpoint.
#
# Run against the emulators:  certcreds emulate --dir ~/certcreds-try   (in another terminal)
#                             . ~/certcreds-try/env && sh examples/aws-cli.sh
set -eu
work=$(mktemp -d)
trap 'kill "$serve" 2>/dev/null || true; rm -rf "$work"' EXIT

flags="--certificate $CERTCREDS_RA_CERTIFICATE --private-key $CERTCREDS_RA_PRIVATE_KEY \
  --intermediates $CERTCREDS_RA_INTERMEDIATES --trust-anchor-arn $CERTCREDS_RA_TRUST_ANCHOR_ARN \
  --profile-arn $CERTCREDS_RA_PROFILE_ARN --role-arn $CERTCREDS_RA_ROLE_ARN --endpoint $CERTCREDS_RA_ENDPOINT"

# 1. credential_process: the AWS CLI runs certcreds for each command; certcreds answers from its cache.
cat > "$work/config" <<EOF
[profile device]
region = us-east-1
credential_process = certcreds credential-process $flags
EOF
AWS_CONFIG_FILE="$work/config" aws sts get-caller-identity --profile device --endpoint-url "$AWS_ENDPOINT_URL_STS" \
  --query Arn --output text

# 2. The shared credentials file, written once (without --once, certcreds update keeps it fresh).
# shellcheck disable=SC2086
AWS_SHARED_CREDENTIALS_FILE="$work/credentials" certcreds update $flags --profile device --once
AWS_SHARED_CREDENTIALS_FILE="$work/credentials" aws sts get-caller-identity --profile device \
  --endpoint-url "$AWS_ENDPOINT_URL_STS" --query Arn --output text

# 3. The local endpoint: certcreds serve prints the lines to export.
# shellcheck disable=SC2086
certcreds serve $flags --port 0 --token-file "$work/token" > "$work/serve.env" &
serve=$!
while ! grep -q TOKEN_FILE "$work/serve.env" 2>/dev/null; do sleep 0.1; done
. "$work/serve.env"
AWS_CONTAINER_AUTHORIZATION_TOKEN=$(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") # for botocore < 1.31
export AWS_CONTAINER_AUTHORIZATION_TOKEN
aws sts get-caller-identity --endpoint-url "$AWS_ENDPOINT_URL_STS" --query Arn --output text
