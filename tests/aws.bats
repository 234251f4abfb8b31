#!/usr/bin/env bats
# aws.bats: soca-aws and lib/aws against awsim, which checks every
# signature with botocore: EC2, Cost Explorer, Budgets and S3 calls,
# retries against injected faults (counted through /_awsim/calls),
# credentials from profiles, credential_process and IMDS, bad input.

load lib/helper
load lib/awsim

setup_file() {
	awsim_start
}

teardown_file() {
	awsim_stop
}

setup() {
	soca_test_env
	awsim_reset
	export SOCA_AWS_BACKOFF_SCALE=0	# test-only: no waiting between retries
}

ami() {
	soca-aws ec2 DescribeImages | jq -r '.imagesSet[0].imageId'
}

@test "soca-aws --help prints the usage and exits 0" {
	run soca-aws --help
	assert_success
	assert_output --partial "usage: soca-aws"
}

@test "bad input exits 2 with one message and sends nothing" {
	run soca-aws
	assert_failure 2
	run soca-aws nosuch DescribeThings
	assert_failure 2
	assert_output --partial "nosuch: unknown service"
	run soca-aws ec2 DescribeInstances InstanceId.1
	assert_failure 2
	assert_output --partial '"InstanceId.1": not Key=Value'
	run soca-aws ec2 DescribeInstances '=x'
	assert_failure 2
	run soca-aws ce GetCostAndUsage '{"TimePeriod":'
	assert_failure 2
	assert_output --partial "not a JSON object"
	run soca-aws ce GetCostAndUsage Metrics.2=x
	assert_failure 2
	assert_output --partial "lists count from 1"
	run soca-aws --dry-run ce GetCostAndUsage
	assert_failure 2
	run soca-aws s3 PutObject Bucket=b Key=k Body=@/nonexistent
	assert_failure 2
	[ "$(awsim_calls ec2:DescribeInstances)" = 0 ]
}

@test "commands start without libcurl and libcrypto and load them on first use" {
	local c
	for c in soca-aws soca-submit soca-stat soca-node-up; do
		run readelf -d "$SOCA_BUILDDIR/bin/$c"
		assert_success
		assert_output --partial "(NEEDED)"
		refute_output --partial "libcurl"
		refute_output --partial "libcrypto"
	done
	run soca-aws ec2 DescribeImages
	assert_success
	assert_output --partial "imagesSet"
}

@test "no region exits 2 with one line (and, under ASan, leaks nothing)" {
	AWS_REGION='' AWS_DEFAULT_REGION='' run soca-aws ec2 DescribeInstances
	assert_failure 2
	assert_output "soca-aws: ec2 DescribeInstances: no region: use --region, AWS_REGION, the profile's region or soca.conf [aws] region"
	[ "$(awsim_calls ec2:DescribeInstances)" = 0 ]
}

@test "ec2 RunInstances, DescribeInstances, TerminateInstances" {
	run soca-aws ec2 RunInstances ImageId="$(ami)" InstanceType=c5.large \
	    MinCount=2 MaxCount=2 TagSpecification.1.ResourceType=instance \
	    TagSpecification.1.Tag.1.Key=Name TagSpecification.1.Tag.1.Value=web
	assert_success
	ids=$(jq -r '.instancesSet[].instanceId' <<<"$output")
	[ "$(wc -l <<<"$ids")" = 2 ]
	[ "$(jq -r '.instancesSet[0].instanceState.name' <<<"$output")" = pending ]
	run soca-aws ec2 DescribeInstances Filter.1.Name=tag:Name \
	    Filter.1.Value.1=web
	assert_success
	[ "$(jq -r '[.reservationSet[].instancesSet[].instanceId] | sort | join(" ")' <<<"$output")" = "$(sort <<<"$ids" | paste -sd' ')" ]
	[ "$(jq -r '.reservationSet[0].instancesSet[0].tagSet[0].value' <<<"$output")" = web ]
	first=$(head -1 <<<"$ids")
	run soca-aws ec2 TerminateInstances InstanceId.1="$first"
	assert_success
	[ "$(jq -r '.instancesSet[0].currentState.name' <<<"$output")" = shutting-down ]
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
}

@test "ec2 RunInstances with a ClientToken is idempotent" {
	args=(ImageId="$(ami)" InstanceType=c5.large MinCount=1 MaxCount=1
	    ClientToken=soca-test-token-1)
	r1=$(soca-aws ec2 RunInstances "${args[@]}" | jq -r .reservationId)
	r2=$(soca-aws ec2 RunInstances "${args[@]}" | jq -r .reservationId)
	[ -n "$r1" ] && [ "$r1" = "$r2" ]
	run soca-aws ec2 RunInstances ImageId="$(ami)" InstanceType=c5.xlarge \
	    MinCount=1 MaxCount=1 ClientToken=soca-test-token-1
	assert_failure 1
	assert_output --partial "IdempotentParameterMismatch"
}

@test "ec2 --dry-run: DryRunOperation counts as success" {
	run soca-aws --dry-run ec2 RunInstances ImageId="$(ami)" \
	    InstanceType=c5.large MinCount=1 MaxCount=1
	assert_success
	[ "$(jq -r .DryRunOperation <<<"$output")" = true ]
	[ "$(soca-aws ec2 DescribeInstances | jq '.reservationSet | length')" = 0 ]
}

@test "ec2 --all follows nextToken and merges the pages" {
	soca-aws ec2 RunInstances ImageId="$(ami)" InstanceType=c5.large \
	    MinCount=7 MaxCount=7 >/dev/null
	before=$(awsim_calls ec2:DescribeInstances)
	run soca-aws --all ec2 DescribeInstances MaxResults=5
	assert_success
	[ "$(jq '[.reservationSet[].instancesSet[]] | length' <<<"$output")" = 7 ]
	[ "$(jq 'has("nextToken")' <<<"$output")" = false ]
	[ "$(( $(awsim_calls ec2:DescribeInstances) - before ))" = 2 ]
	soca-aws -v --all ec2 DescribeInstances MaxResults=5 2>trace >/dev/null
	[ "$(grep -c '^< 200 .*new connection' trace)" = 1 ]
	[ "$(grep -c '^< 200 .*reused connection' trace)" = 1 ]
}

@test "ce GetCostAndUsage with dotted keys" {
	run soca-aws ce GetCostAndUsage TimePeriod.Start=2026-11-01 \
	    TimePeriod.End=2026-11-03 Granularity=DAILY Metrics.1=UnblendedCost
	assert_success
	[ "$(jq '.ResultsByTime | length' <<<"$output")" = 2 ]
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
}

@test "budgets DescribeBudgets" {
	awsim_ctl POST budgets '[{"BudgetName":"proj-a"}]' >/dev/null
	run soca-aws budgets DescribeBudgets AccountId=123456789012
	assert_success
	[ "$(jq -r '.Budgets[0].BudgetName' <<<"$output")" = proj-a ]
	run soca-aws budgets DescribeBudgets '{"AccountId":"123456789012","MaxResults":1}'
	assert_success
	run soca-aws budgets DescribeBudgets AccountId=123456789012 MaxResults:=1
	assert_success
	run soca-aws budgets DescribeBudgets AccountId=123456789012 MaxResults:=x
	assert_failure 2
	assert_output --partial "not JSON"
}

@test "budgets --all follows NextToken" {
	awsim_ctl POST budgets '[{"BudgetName":"a"},{"BudgetName":"b"},{"BudgetName":"c"}]' >/dev/null
	run soca-aws --all budgets DescribeBudgets '{"AccountId":"123456789012","MaxResults":1}'
	assert_success
	[ "$(jq -r '[.Budgets[].BudgetName] | join(",")' <<<"$output")" = a,b,c ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 3 ]
}

@test "JSON 1.1 errors: __type and x-amzn-RequestId" {
	run soca-aws ce GetCostAndUsage Granularity=DAILY
	assert_failure 1
	assert_output --regexp '^soca-aws: ce GetCostAndUsage: [A-Za-z]+(Exception)?: .* \(request id [^)]+\)$'
}

@test "s3 CreateBucket, PutObject, GetObject, ListObjectsV2" {
	printf 'hello world\n' >obj.txt
	run soca-aws s3 CreateBucket Bucket=soca-test
	assert_success
	run soca-aws s3 PutObject Bucket=soca-test 'Key=dir/a b.txt' Body=@obj.txt
	assert_success
	run soca-aws s3 GetObject Bucket=soca-test 'Key=dir/a b.txt'
	assert_success
	assert_output "hello world"
	run soca-aws s3 ListObjectsV2 Bucket=soca-test Prefix=dir/
	assert_success
	[ "$(jq -r '.Contents[0].Key' <<<"$output")" = "dir/a b.txt" ]
	run soca-aws s3 GetObject Bucket=soca-test Key=missing
	assert_failure 1
	assert_output --partial "NoSuchKey"
}

@test "throttling is retried: 2 throttles, success on the third call" {
	awsim_ctl POST faults '{"op":"ec2:DescribeInstances","kind":"throttle","count":2}' >/dev/null
	run soca-aws ec2 DescribeInstances
	assert_success
	[ "$(awsim_calls ec2:DescribeInstances)" = 3 ]
}

@test "503 after 3 attempts exits 3" {
	awsim_ctl POST faults '{"op":"ec2:DescribeInstances","kind":"error","status":503,"count":10}' >/dev/null
	run soca-aws ec2 DescribeInstances
	assert_failure 3
	assert_output --partial "after 3 attempts"
	[ "$(awsim_calls ec2:DescribeInstances)" = 3 ]
}

@test "AWS_MAX_ATTEMPTS and throttled JSON calls" {
	awsim_ctl POST faults '{"op":"ce:GetCostAndUsage","kind":"throttle","count":4}' >/dev/null
	AWS_MAX_ATTEMPTS=5 run soca-aws ce GetCostAndUsage \
	    TimePeriod.Start=2026-11-01 TimePeriod.End=2026-11-02 \
	    Granularity=DAILY Metrics.1=UnblendedCost
	assert_success
	[ "$(awsim_calls ce:GetCostAndUsage)" = 5 ]
}

@test "a dropped connection is retried, then exits 3" {
	awsim_ctl POST faults '{"op":"ec2:DescribeInstances","kind":"drop","count":10}' >/dev/null
	run soca-aws ec2 DescribeInstances
	assert_failure 3
	[ "$(awsim_calls ec2:DescribeInstances)" = 3 ]
}

@test "the [aws] timeout bounds a slow answer" {
	printf '[aws]\ntimeout = 1s\n' >soca.conf
	awsim_ctl POST faults '{"op":"ec2:DescribeInstances","kind":"latency","latency_ms":5000,"count":1}' >/dev/null
	start=$SECONDS
	AWS_MAX_ATTEMPTS=1 run soca-aws -c soca.conf ec2 DescribeInstances
	assert_failure 3
	assert_output --partial "Timeout"
	(( SECONDS - start < 4 ))
}

@test "RunInstances retried after a 503 keeps one ClientToken" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"error","status":503,"count":1}' >/dev/null
	run soca-aws ec2 RunInstances ImageId="$(ami)" InstanceType=c5.large \
	    MinCount=1 MaxCount=1
	assert_success
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	[ "$(soca-aws ec2 DescribeInstances | jq '[.reservationSet[].instancesSet[]] | length')" = 1 ]
}

@test "a wrong secret exits 1 with the AWS code" {
	AWS_SECRET_ACCESS_KEY=wrong run soca-aws ec2 DescribeInstances
	assert_failure 1
	assert_output --partial "SignatureDoesNotMatch"
	assert_output --partial "request id"
	AWS_SECRET_ACCESS_KEY=wrong run soca-aws budgets DescribeBudgets AccountId=123456789012
	assert_failure 1
	assert_output --partial "InvalidSignatureException"
}

@test "credentials from IMDSv2, with a session token, -v redacts" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	run soca-aws -v ec2 DescribeInstances
	assert_success
	assert_output --partial "credentials from imds"
	assert_output --partial "X-Amz-Security-Token: (redacted)"
	assert_output --partial "Authorization: (redacted)"
	refute_output --partial "Signature="
	[ "$(awsim_calls imds:PutToken)" = 1 ]
	[ "$(awsim_calls imds:Get)" = 2 ]
	AWS_EC2_METADATA_DISABLED=true run soca-aws ec2 DescribeInstances
	assert_failure 2
	assert_output --partial "no credentials"
}

@test "IMDSv1 fallback when the token PUT gets 405, unless v1 is disabled" {
	cat >imdsv1.py <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
BASE = "/latest/meta-data/iam/security-credentials/"
class H(BaseHTTPRequestHandler):
    def do_PUT(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        doc = {BASE: "r1", BASE + "r1": json.dumps({"Code": "Success",
               "AccessKeyId": "AKIDSOCATEST",
               "SecretAccessKey": "soca/test/secret+key"})}.get(self.path)
        body = (doc or "").encode()
        self.send_response(200 if doc else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	port=$(service_port)
	service_start imdsv1 "$port" /usr/bin/python3 imdsv1.py "$port"
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$port
	run soca-aws -v ec2 DescribeInstances
	v1=$status
	AWS_EC2_METADATA_V1_DISABLED=true run soca-aws ec2 DescribeInstances
	v1_disabled=$status
	service_stop imdsv1 || true
	[ "$v1" = 0 ]
	[ "$v1_disabled" = 2 ]
	assert_output --partial "instance metadata"
}

@test "IMDS credentials close to Expiration are fetched again" {
	soca-aws ec2 RunInstances ImageId="$(ami)" InstanceType=c5.large \
	    MinCount=7 MaxCount=7 >/dev/null
	awsim_ctl POST imds '{"credentials_ttl": 120}' >/dev/null
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	run soca-aws --all ec2 DescribeInstances MaxResults=5
	assert_success
	[ "$(jq '[.reservationSet[].instancesSet[]] | length' <<<"$output")" = 7 ]
	[ "$(awsim_calls imds:PutToken)" = 2 ]
}

@test "--profile from the shared files; a loose credentials file is warned" {
	printf '[dev]\naws_access_key_id = AKIDSOCATEST\naws_secret_access_key = soca/test/secret+key\n' >creds
	chmod 644 creds
	printf '[profile dev]\nregion = us-east-1\n' >config
	AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_CONFIG_FILE=$PWD/config \
	    AWS_ACCESS_KEY_ID=AKIDWRONG run soca-aws --profile dev ec2 DescribeInstances
	assert_success
	assert_output --partial "readable by group or others"
	chmod 600 creds
	AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_CONFIG_FILE=$PWD/config \
	    run soca-aws --profile nosuch ec2 DescribeInstances
	assert_failure 2
	assert_output --partial "profile nosuch"
}

@test "credential_process runs without a shell" {
	cat >proc <<'EOF'
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "AKIDSOCATEST", "SecretAccessKey": "%s"}\n' "$1"
EOF
	chmod 755 proc
	printf '[profile p]\ncredential_process = %s "soca/test/secret+key"\n' "$PWD/proc" >config
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	AWS_CONFIG_FILE=$PWD/config AWS_PROFILE=p run soca-aws -v ec2 DescribeInstances
	assert_success
	assert_output --partial "credentials from process"
}

@test "AWS_ENDPOINT_URL_EC2 beats AWS_ENDPOINT_URL; refused connection exits 3" {
	AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_ENDPOINT_URL_EC2=$AWSIM_URL \
	    run soca-aws ec2 DescribeInstances
	assert_success
	AWS_ENDPOINT_URL=http://127.0.0.1:1 run soca-aws ec2 DescribeInstances
	assert_failure 3
	assert_output --partial "127.0.0.1:1"
	run soca-aws --endpoint-url http://127.0.0.1:1 s3 ListBuckets
	assert_failure 3
}

# bad_server MODE: a server that answers every request badly, on $port
bad_server() {
	cat >bad.py <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
mode, port = sys.argv[1], int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if mode == "redirect":
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"<DescribeInstancesResponse><requestId>")
            self.wfile.flush()
            self.close_connection = True
        elif mode == "portal":
            body = b"<html><body>Please log in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "notxml":
            body = b"{\"not\": \"xml\"}"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
	port=$(service_port)
	service_start "bad-$1" "$port" /usr/bin/python3 bad.py "$1" "$port"
}

@test "redirects, truncated answers, portals and non-XML: one line each" {
	bad_server redirect
	run soca-aws --endpoint-url "http://127.0.0.1:$port" ec2 DescribeInstances
	service_stop bad-redirect || true
	assert_failure 1
	assert_output "soca-aws: ec2 DescribeInstances: unexpected redirect (HTTP 301) to https://elsewhere.example/"
	bad_server truncated
	run soca-aws --endpoint-url "http://127.0.0.1:$port" ec2 DescribeInstances
	service_stop bad-truncated || true
	assert_failure 3
	[ "${#lines[@]}" = 1 ]
	assert_output --partial "partial"
	bad_server portal
	run soca-aws --endpoint-url "http://127.0.0.1:$port" ec2 DescribeInstances
	service_stop bad-portal || true
	assert_failure 1
	assert_output --partial "text/html page, not an AWS answer"
	bad_server notxml
	run soca-aws --endpoint-url "http://127.0.0.1:$port" ec2 DescribeInstances
	service_stop bad-notxml || true
	assert_failure 1
	assert_output --partial "EC2 answer is not XML"
}

@test "an HTML error page gives one line and exit 1" {
	port=$(service_port)
	service_start html "$port" /usr/bin/python3 -m http.server --bind 127.0.0.1 "$port"
	run soca-aws --endpoint-url "http://127.0.0.1:$port" ec2 DescribeInstances
	service_stop html || true
	assert_failure 1
	assert_output --partial "text/html"
	[ "${#lines[@]}" = 1 ]
}

# A TLS server on loopback whose certificate is for 127.0.0.1, signed by
# a CA made here: refused without that CA, accepted with [aws] ca_file.
@test "TLS is always verified: unknown CA refused, [aws] ca_file accepted" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
		-days 1 -subj /CN=soca-test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
		-subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out srv.pem -days 1 -extfile ext.cnf 2>/dev/null
	local port
	port=$(service_port)
	service_start tls "$port" /usr/bin/python3 -c '
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (b"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/"
                b"2016-11-15/\"><requestId>tls-1</requestId><reservationSet/>"
                b"</DescribeInstancesResponse>")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("srv.pem", "srv.key")
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()' "$port"
	run soca-aws --endpoint-url "https://127.0.0.1:$port" ec2 DescribeInstances
	assert_failure 1
	assert_output --partial "certificate"
	assert_equal "${#lines[@]}" 1
	printf '[aws]\nca_file = %s\n' "$PWD/ca.pem" >soca.conf
	SOCA_CONF=$PWD/soca.conf run soca-aws --endpoint-url "https://127.0.0.1:$port" ec2 DescribeInstances
	service_stop tls
	assert_success
	assert_output --partial '"requestId": "tls-1"'
}

@test "an IMDS that never answers gives up after 1 s with one clear line" {
	local port start
	port=$(service_port)
	service_start blackhole "$port" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(60)' "$port"
	start=$SECONDS
	run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port/" \
		soca-aws ec2 DescribeInstances
	service_stop blackhole
	assert_failure 2
	assert_output --partial "no credentials"
	assert_output --partial "no answer within 1 s"
	assert_equal "${#lines[@]}" 1
	(( SECONDS - start <= 4 ))
}
