#!/usr/bin/env bats
# awsim.bats: the local AWS endpoint, driven by the real AWS CLI (Debian's
# awscli) and by curl's own SigV4 signer, so awsim's wire formats,
# signature checks and state are proved by clients we did not write.

load lib/helper
load lib/awsim

AMI=ami-0a1b2c3d4e5f60001
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:ec2" --user "AKIDSOCATEST:soca/test/secret+key")

setup_file() { awsim_start; }
teardown_file() { awsim_stop; }

setup() {
	soca_test_env
	awsim_env
	awsim_reset
}

cli() {
	/usr/bin/aws --endpoint-url "$AWSIM_URL" --output json "$@"
}

# json EXPR: evaluate a Python expression on $output parsed as `d`
json() {
	/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1" <<<"$output"
}

ec2_curl() {
	curl -sS "${SIGV4[@]}" "$AWSIM_URL/" -d "$1"
}

@test "the signature checker passes the SigV4 vectors and refuses them altered" {
	run "$SOCA_SRCDIR/tests/awsim/selftest" "$SOCA_SRCDIR/tests/data/sigv4"
	assert_success
	assert_line "1..190"
	refute_output --partial "not ok"
}

@test "run-instances with tags, then describe-instances by tag finds them" {
	run cli ec2 run-instances --image-id $AMI --instance-type c5.large \
	    --count 2 --placement AvailabilityZone=us-east-1b \
	    --tag-specifications 'ResourceType=instance,Tags=[{Key=soca:job,Value=42},{Key=Name,Value=web}]'
	assert_success
	run json 'len(d["Instances"]), d["ReservationId"][:2], {i["State"]["Name"] for i in d["Instances"]}, {i["Placement"]["AvailabilityZone"] for i in d["Instances"]}'
	assert_output "(2, 'r-', {'pending'}, {'us-east-1b'})"
	run cli ec2 run-instances --image-id $AMI --instance-type t3.micro
	assert_success
	run cli ec2 describe-instances --filters Name=tag:soca:job,Values=42 \
	    Name=tag-key,Values=Name Name=instance-type,Values='c5.*'
	assert_success
	run json 'sorted((i["InstanceType"], {t["Key"]: t["Value"] for t in i["Tags"]}["soca:job"]) for r in d["Reservations"] for i in r["Instances"])'
	assert_output "[('c5.large', '42'), ('c5.large', '42')]"
	run awsim_ctl GET state
	run json 'sorted(len(i["Tags"]) for i in d["instances"])'
	assert_output "[0, 2, 2]"
}

@test "the clock moves instances pending -> running -> shutting-down -> terminated" {
	run cli ec2 run-instances --image-id $AMI --instance-type m5.large
	assert_success
	id=$(json 'd["Instances"][0]["InstanceId"]')
	[[ $id =~ ^i-[0-9a-f]{17}$ ]]
	awsim_advance 29
	run awsim_ctl GET state
	run json 'd["instances"][0]["State"]'
	assert_output pending
	awsim_advance 1
	run cli ec2 describe-instances --filters Name=instance-state-name,Values=running
	run json '[i["InstanceId"] for r in d["Reservations"] for i in r["Instances"]]'
	assert_output "['$id']"
	run cli ec2 terminate-instances --instance-ids "$id"
	assert_success
	run json 'd["TerminatingInstances"][0]["PreviousState"]["Name"], d["TerminatingInstances"][0]["CurrentState"]["Name"]'
	assert_output "('running', 'shutting-down')"
	awsim_advance 30
	run awsim_ctl GET state
	run json 'd["instances"][0]["State"]'
	assert_output terminated
	run cli ec2 terminate-instances --instance-ids i-0123456789abcdef9
	assert_failure
	assert_output --partial InvalidInstanceID.NotFound
}

@test "describe-instances paginates with --page-size and --max-items" {
	for _ in 1 2 3; do
		run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=t3.small&MinCount=4&MaxCount=4"
		assert_output --partial '<reservationId>r-'
	done
	run cli ec2 describe-instances --page-size 5
	assert_success
	run json 'sum(len(r["Instances"]) for r in d["Reservations"])'
	assert_output 12
	run awsim_calls ec2:DescribeInstances
	assert_output 3
	# --max-items counts reservations: the first page of 5 instances
	# holds all of one and part of the next
	run cli ec2 describe-instances --max-items 2 --page-size 5
	assert_success
	run json '[len(r["Instances"]) for r in d["Reservations"]], bool(d.get("NextToken"))'
	assert_output "([4, 1], True)"
	# AWS refuses MaxResults together with instance ids, and tiny pages
	run ec2_curl 'Action=DescribeInstances&Version=2016-11-15&MaxResults=5&InstanceId.1=i-0123456789abcdef0'
	assert_output --partial '<Code>InvalidParameterCombination</Code>'
	run ec2_curl 'Action=DescribeInstances&Version=2016-11-15&MaxResults=4'
	assert_output --partial '<Code>InvalidParameterValue</Code>'
}

@test "ClientToken: same token returns the same reservation, other parameters mismatch" {
	run cli ec2 run-instances --image-id $AMI --instance-type c5.large \
	    --client-token tok-1
	assert_success
	r1=$(json 'd["ReservationId"]')
	run cli ec2 run-instances --image-id $AMI --instance-type c5.large \
	    --client-token tok-1
	assert_success
	assert_equal "$(json 'd["ReservationId"]')" "$r1"
	run cli ec2 run-instances --image-id $AMI --instance-type c5.xlarge \
	    --client-token tok-1
	assert_failure
	assert_output --partial IdempotentParameterMismatch
	run awsim_ctl GET launches
	run json 'd["by_token"]["tok-1"], d["instances"], d["reservations"]'
	assert_output "(1, 1, 1)"
	run awsim_calls ec2:RunInstances
	assert_output 3
}

@test "concurrent launches with one ClientToken run once; the vCPU limit holds" {
	local n run="Action=RunInstances&Version=2016-11-15&ImageId=$AMI&MinCount=1"
	for n in 1 2 3 4 5 6 7 8; do
		ec2_curl "$run&MaxCount=1&InstanceType=c5.large&ClientToken=race" >"r$n.xml" &
	done
	wait
	run bash -c 'grep -ho "<reservationId>[^<]*" r*.xml | sort | uniq -c'
	assert_output --regexp '^ +8 <reservationId>r-[0-9a-f]{17}$'
	run awsim_ctl GET launches
	run json 'd["by_token"], d["instances"]'
	assert_output "({'race': 1}, 1)"
	run awsim_calls ec2:RunInstances
	assert_output 8
	awsim_ctl POST limits '{"vcpus": 8}' >/dev/null
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&MinCount=2&MaxCount=5&InstanceType=c5.xlarge"
	assert_output --partial '<Code>VcpuLimitExceeded</Code>'
	run ec2_curl "$run&MaxCount=5&InstanceType=c5.large"
	n=$(grep -o '<instanceId>' <<<"$output" | wc -l)
	assert_equal "$n" 3
}

@test "dry-run answers DryRunOperation, or the error the call would get" {
	run cli ec2 run-instances --image-id $AMI --instance-type c5.large \
	    --dry-run
	assert_failure
	assert_output --partial DryRunOperation
	run curl -sS -o /dev/null -w '%{http_code}' "${SIGV4[@]}" \
	    "$AWSIM_URL/" -d "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=c5.large&MinCount=1&MaxCount=1&DryRun=true"
	assert_output 412
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=c5.huge&MinCount=1&MaxCount=1&DryRun=true"
	assert_output --partial "<Code>InvalidParameterValue</Code><Message>Invalid value 'c5.huge' for InstanceType."
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=ami-0000000000000dead&MinCount=1&MaxCount=1&DryRun=true"
	assert_output --partial '<Code>InvalidAMIID.NotFound</Code>'
	run awsim_ctl GET launches
	assert_output --partial '"instances": 0'
}

@test "signatures are checked: wrong secret, unknown key, tampering, old date" {
	AWS_SECRET_ACCESS_KEY=wrong run cli ec2 describe-instances
	assert_failure
	assert_output --partial SignatureDoesNotMatch
	AWS_ACCESS_KEY_ID=AKIDUNKNOWN run cli ec2 describe-instances
	assert_failure
	assert_output --partial AuthFailure
	AWS_SECRET_ACCESS_KEY=wrong run cli ce get-cost-and-usage \
	    --time-period Start=2026-01-01,End=2026-01-02 --granularity DAILY \
	    --metrics UnblendedCost
	assert_failure
	assert_output --partial InvalidSignatureException
	run curl -sS "${SIGV4[@]}" -H 'X-Amz-Date: 20200101T000000Z' \
	    "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial '<Code>RequestExpired</Code>'
	# wrong region in the scope
	run curl -sS --aws-sigv4 "aws:amz:eu-west-1:ec2" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial '<Code>AuthFailure</Code>'
	# a signed body header with another body: the hash no longer matches
	run curl -sS "${SIGV4[@]}" -H "x-amz-content-sha256: $(printf 'Action=DescribeVpcs&Version=2016-11-15' | sha256sum | cut -d' ' -f1)" \
	    "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-16'
	assert_output --partial '<Code>SignatureDoesNotMatch</Code>'
	run curl -sS -i "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial 'HTTP/1.1 401'
	run ec2_curl 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>'
}

@test "parameters are validated against the botocore model" {
	run ec2_curl 'Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1&Bogus=1'
	assert_output --partial '<Code>UnknownParameter</Code><Message>The parameter Bogus is not recognized'
	assert_output --partial '<RequestID>'
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&MinCount=1"
	assert_output --partial '<Code>MissingParameter</Code><Message>The request must contain the parameter MaxCount'
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&MinCount=1&MaxCount=two"
	assert_output --partial '<Code>InvalidParameterValue</Code>'
	run ec2_curl 'Action=LaunchRockets&Version=2016-11-15'
	assert_output --partial '<Code>InvalidAction</Code>'
	run ec2_curl 'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=colour&Filter.1.Value.1=red'
	assert_output --partial "The filter 'colour' is invalid"
	run curl -sS -i --aws-sigv4 "aws:amz:us-east-1:ce" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H 'X-Amz-Target: AWSInsightsIndexService.GetCostAndUsage' \
	    -H 'Content-Type: application/x-amz-json-1.1' "$AWSIM_URL/" \
	    -d '{"TimePeriod":{"Start":"2026-01-01"},"Granularity":"DAILY","Metrics":["UnblendedCost"]}'
	assert_output --partial 'x-amzn-RequestId: '
	assert_output --partial '"__type": "com.amazon.coral.validate#ValidationException"'
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:ce" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H 'X-Amz-Target: AWSInsightsIndexService.Nope' \
	    -H 'Content-Type: application/x-amz-json-1.1' "$AWSIM_URL/" -d '{}'
	assert_output --partial 'UnknownOperationException'
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:budgets" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H 'X-Amz-Target: AWSBudgetServiceGateway.DescribeBudgets' \
	    -H 'Content-Type: application/x-amz-json-1.1' "$AWSIM_URL/" \
	    -d '{"AccountId":"123456789012","MaxResults":"ten"}'
	assert_output --partial 'SerializationException'
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:budgets" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H 'X-Amz-Target: AWSBudgetServiceGateway.DescribeBudgets' \
	    -H 'Content-Type: application/x-amz-json-1.1' "$AWSIM_URL/" \
	    -d '{"AccountId":"1234"}'
	assert_output --partial "Value '1234' at 'accountId' failed to satisfy constraint: Member must have length greater than or equal to 12"
}

@test "injected throttling and 5xx make the CLI retry; calls are counted" {
	awsim_ctl POST faults '{"op":"ec2:DescribeInstances","kind":"throttle","count":2}' >/dev/null
	run cli ec2 describe-instances
	assert_success
	run awsim_calls ec2:DescribeInstances
	assert_output 3
	awsim_ctl POST faults '{"op":"ec2:DescribeSubnets","kind":"error","status":503,"code":"Unavailable","count":5}' >/dev/null
	run cli ec2 describe-subnets
	assert_failure
	assert_output --partial Unavailable
	run awsim_calls ec2:DescribeSubnets
	assert_output 3
	awsim_ctl DELETE faults >/dev/null
	awsim_ctl POST faults '{"op":"ec2:DescribeImages","kind":"bucket","burst":2,"refill":0}' >/dev/null
	run ec2_curl 'Action=DescribeImages&Version=2016-11-15'
	run ec2_curl 'Action=DescribeImages&Version=2016-11-15'
	assert_output --partial '<DescribeImagesResponse'
	run curl -sS -i "${SIGV4[@]}" "$AWSIM_URL/" -d 'Action=DescribeImages&Version=2016-11-15'
	assert_output --partial 'HTTP/1.1 503'
	assert_output --partial '<Code>RequestLimitExceeded</Code>'
	run awsim_ctl GET faults
	run json 'd[0]["fired"]'
	assert_output 1
}

@test "dropped connections, latency and capacity faults" {
	awsim_ctl POST faults '{"op":"ec2:DescribeVpcs","kind":"drop","count":1}' >/dev/null
	run ec2_curl 'Action=DescribeVpcs&Version=2016-11-15'
	assert_failure 52
	run ec2_curl 'Action=DescribeVpcs&Version=2016-11-15'
	assert_success
	assert_output --partial '<vpcSet>'
	awsim_ctl POST faults '{"op":"ec2:DescribeVpcs","kind":"latency","latency_ms":400,"count":1}' >/dev/null
	run curl -sS -o /dev/null -w '%{time_total}' "${SIGV4[@]}" "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	/usr/bin/python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 0.4)' "$output"
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"capacity","instance_type":"c5n.18xlarge","az":"us-east-1a"}' >/dev/null
	run cli ec2 run-instances --image-id $AMI --instance-type c5n.18xlarge \
	    --placement AvailabilityZone=us-east-1a
	assert_failure
	assert_output --partial InsufficientInstanceCapacity
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=c5n.18xlarge&MinCount=1&MaxCount=1&Placement.AvailabilityZone=us-east-1b"
	assert_output --partial '<instanceState><code>0</code><name>pending</name></instanceState>'
}

@test "lost answers take effect; garbage answers are not valid replies" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"lost","count":1}' >/dev/null
	q="Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=c5.large&MinCount=1&MaxCount=1&ClientToken=lost-1"
	run ec2_curl "$q"
	assert_failure 52
	run ec2_curl "$q"
	assert_success
	assert_output --partial '<instanceState>'
	run awsim_ctl GET launches
	run json 'd["by_token"]["lost-1"]'
	assert_output 1
	awsim_ctl POST faults '{"op":"ec2:DescribeVpcs","kind":"garbage","count":2}' >/dev/null
	run curl -sS -i "${SIGV4[@]}" "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial 'HTTP/1.1 200'
	refute_output --partial '<vpcSet>'
	run ec2_curl 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output '<'
	awsim_ctl POST faults '{"op":"ec2:DescribeVpcs","kind":"garbage","status":500,"body":"oops","count":1}' >/dev/null
	run curl -sS -i "${SIGV4[@]}" "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial 'HTTP/1.1 500'
	assert_output --partial 'oops'
	run awsim_ctl POST faults '{"kind":"garbage","body":7}'
	assert_failure
	assert_output --partial 'body must be a string'
}

@test "IMDSv2: token, identity and role credentials that sign requests" {
	run curl -sS -o /dev/null -w '%{http_code}' "$AWSIM_URL/latest/meta-data/instance-id"
	assert_output 401
	run curl -sS -o /dev/null -w '%{http_code}' -X PUT "$AWSIM_URL/latest/api/token"
	assert_output 400
	run ec2_curl "Action=RunInstances&Version=2016-11-15&ImageId=$AMI&InstanceType=c5.large&MinCount=2&MaxCount=2&Placement.AvailabilityZone=us-east-1c"
	id=$(grep -o 'i-[0-9a-f]\{17\}' <<<"$output" | tail -1)
	awsim_ctl POST imds "{\"instance_id\":\"$id\"}" >/dev/null
	tok=$(curl -sS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$AWSIM_URL/latest/api/token")
	H="X-aws-ec2-metadata-token: $tok"
	run curl -sS -H "$H" "$AWSIM_URL/latest/meta-data/instance-id"
	assert_output "$id"
	run curl -sS -H "$H" "$AWSIM_URL/latest/meta-data/placement/availability-zone"
	assert_output us-east-1c
	run curl -sS -H "$H" "$AWSIM_URL/latest/meta-data/ami-launch-index"
	assert_output 1
	run curl -sS -H "$H" "$AWSIM_URL/latest/dynamic/instance-identity/document"
	run json 'd["instanceId"] == "'"$id"'", d["region"], d["instanceType"]'
	assert_output "(True, 'us-east-1', 'c5.large')"
	run curl -sS -H "$H" "$AWSIM_URL/latest/meta-data/iam/security-credentials/"
	assert_output soca-test-role
	run curl -sS -H "$H" "$AWSIM_URL/latest/meta-data/iam/security-credentials/soca-test-role"
	creds=$output
	run json 'd["Code"], d["Type"], d["AccessKeyId"][:4], len(d["Token"]) > 20, sorted(d)'
	assert_output "('Success', 'AWS-HMAC', 'ASIA', True, ['AccessKeyId', 'Code', 'Expiration', 'LastUpdated', 'SecretAccessKey', 'Token', 'Type'])"
	output=$creds
	akid=$(json 'd["AccessKeyId"]')
	secret=$(json 'd["SecretAccessKey"]')
	stok=$(json 'd["Token"]')
	# temporary credentials need their session token
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:ec2" --user "$akid:$secret" \
	    "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial '<Code>AuthFailure</Code>'
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:ec2" --user "$akid:$secret" \
	    -H "X-Amz-Security-Token: $stok" \
	    "$AWSIM_URL/" -d 'Action=DescribeVpcs&Version=2016-11-15'
	assert_output --partial '<DescribeVpcsResponse'
	# IMDSv1 only when allowed; a refused token PUT
	run curl -sS -o /dev/null -w '%{http_code}' "$AWSIM_URL/latest/meta-data/instance-id"
	assert_output 401
	awsim_ctl POST imds '{"http_tokens":"optional","token_status":405}' >/dev/null
	run curl -sS "$AWSIM_URL/latest/meta-data/instance-id"
	assert_output "$id"
	run curl -sS -o /dev/null -w '%{http_code}' -X PUT \
	    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$AWSIM_URL/latest/api/token"
	assert_output 405
	awsim_ctl POST imds '{"http_tokens":"required","token_status":200}' >/dev/null
	# and the AWS CLI finds them through IMDS on its own
	run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    /usr/bin/aws --endpoint-url "$AWSIM_URL" --output json \
	    ec2 describe-instances --instance-ids "$id"
	assert_success
	run json 'd["Reservations"][0]["Instances"][0]["InstanceId"]'
	assert_output "$id"
}

@test "catalogue: instance types, images and subnets parse in the CLI" {
	run cli ec2 describe-instance-types --instance-types p4d.24xlarge \
	    hpc6a.48xlarge
	assert_success
	run json 'sorted((t["InstanceType"], t["VCpuInfo"]["DefaultCores"], t["VCpuInfo"]["DefaultThreadsPerCore"], t["MemoryInfo"]["SizeInMiB"], t["NetworkInfo"]["EfaSupported"]) for t in d["InstanceTypes"])'
	assert_output "[('hpc6a.48xlarge', 96, 1, 393216, True), ('p4d.24xlarge', 48, 2, 1179648, True)]"
	run cli ec2 describe-images --filters 'Name=name,Values=Rocky-8*'
	assert_success
	run json '[i["Name"] for i in d["Images"]]'
	assert_output "['Rocky-8-EC2-Base-8.8-20230518.0.x86_64']"
	run cli ec2 describe-subnets
	run json 'sorted(s["AvailabilityZone"] for s in d["Subnets"])'
	assert_output "['us-east-1a', 'us-east-1b', 'us-east-1c']"
	run ec2_curl 'Action=DescribeInstanceTypes&Version=2016-11-15&MaxResults=5'
	assert_output --partial '<nextToken>'
	n=$(grep -o '<item><instanceType>' <<<"$output" | wc -l)
	assert_equal "$n" 5
}

@test "Cost Explorer, Budgets and Pricing answer in JSON 1.1 the CLI parses" {
	awsim_ctl POST costs '{"2026-01-01": 12.5, "2026-01-02": 3}' >/dev/null
	run cli ce get-cost-and-usage --time-period Start=2026-01-01,End=2026-01-03 \
	    --granularity DAILY --metrics UnblendedCost
	assert_success
	run json '[(r["TimePeriod"]["Start"], r["Total"]["UnblendedCost"]["Amount"]) for r in d["ResultsByTime"]]'
	assert_output "[('2026-01-01', '12.5'), ('2026-01-02', '3')]"
	awsim_ctl POST budgets '[{"BudgetName":"soca-monthly","BudgetLimit":{"Amount":"500","Unit":"USD"}}]' >/dev/null
	run cli budgets describe-budgets --account-id 123456789012
	assert_success
	run json '[(b["BudgetName"], b["BudgetLimit"]["Amount"]) for b in d["Budgets"]]'
	assert_output "[('soca-monthly', '500')]"
	run cli pricing get-products --service-code AmazonEC2 --filters \
	    Type=TERM_MATCH,Field=instanceType,Value=c5.large \
	    Type=TERM_MATCH,Field=regionCode,Value=us-east-1
	assert_success
	run json '[(p["product"]["attributes"]["instanceType"], list(list(p["terms"]["OnDemand"].values())[0]["priceDimensions"].values())[0]["pricePerUnit"]["USD"]) for p in map(json.loads, d["PriceList"])]'
	assert_output "[('c5.large', '0.0850000000')]"
}

@test "FSx for Lustre: create (token, tags), lifecycle over the clock, export, delete" {
	cli s3api create-bucket --bucket results-1 >/dev/null
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --client-request-token tok-1 \
	    --tags Key=soca:ClusterId,Value=t1 \
	    --lustre-configuration DeploymentType=SCRATCH_2,ImportPath=s3://results-1/run,ExportPath=s3://results-1/run
	assert_success
	fs=$(json 'd["FileSystem"]["FileSystemId"]')
	run json 'd["FileSystem"]["Lifecycle"], d["FileSystem"]["FileSystemId"][:3], d["FileSystem"]["DNSName"].endswith(".fsx.us-east-1.amazonaws.com"), len(d["FileSystem"]["LustreConfiguration"]["MountName"]), d["FileSystem"]["Tags"]'
	assert_output "('CREATING', 'fs-', True, 8, [{'Key': 'soca:ClusterId', 'Value': 't1'}])"
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --client-request-token tok-1 \
	    --tags Key=soca:ClusterId,Value=t1 \
	    --lustre-configuration DeploymentType=SCRATCH_2,ImportPath=s3://results-1/run,ExportPath=s3://results-1/run
	assert_success
	[ "$(json 'd["FileSystem"]["FileSystemId"]')" = "$fs" ]
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 2400 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --client-request-token tok-1
	assert_failure
	assert_output --partial IncompatibleParameterError
	run cli fsx create-data-repository-task --file-system-id "$fs" \
	    --type EXPORT_TO_REPOSITORY --report Enabled=false
	assert_failure
	assert_output --partial 'not AVAILABLE'
	awsim_advance 300
	run cli fsx describe-file-systems --file-system-ids "$fs"
	assert_success
	run json 'd["FileSystems"][0]["Lifecycle"]'
	assert_output AVAILABLE
	run cli fsx create-data-repository-task --file-system-id "$fs" \
	    --type EXPORT_TO_REPOSITORY --report Enabled=false --client-request-token x-1
	assert_success
	run json 'd["DataRepositoryTask"]["Lifecycle"]'
	assert_output PENDING
	awsim_advance 10
	run cli fsx describe-data-repository-tasks --filters Name=file-system-id,Values="$fs"
	run json '[t["Lifecycle"] for t in d["DataRepositoryTasks"]]'
	assert_output "['EXECUTING']"
	run cli fsx delete-file-system --file-system-id "$fs"
	assert_failure
	assert_output --partial DataRepositoryTaskExecuting
	awsim_advance 120
	run cli fsx describe-data-repository-tasks --filters Name=file-system-id,Values="$fs"
	run json '[t["Lifecycle"] for t in d["DataRepositoryTasks"]]'
	assert_output "['SUCCEEDED']"
	run cli fsx delete-file-system --file-system-id "$fs"
	assert_success
	run json 'd["Lifecycle"]'
	assert_output DELETING
	awsim_advance 60
	run cli fsx describe-file-systems --file-system-ids "$fs"
	assert_failure
	assert_output --partial FileSystemNotFound
	[ "$(awsim_calls fsx:CreateFileSystem)" = 3 ]
}

@test "FSx: FSx's rules, faults (never AVAILABLE, FAILED, export FAILED) and pagination" {
	for args in "1000 SCRATCH_2" "3600 SCRATCH_2" "4800 SCRATCH_1"; do
		set -- $args
		run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity "$1" \
		    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration DeploymentType="$2"
		assert_failure
		assert_output --partial 'Invalid storage capacity'
	done
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration DeploymentType=PERSISTENT_2
	assert_failure
	assert_output --partial 'PerUnitStorageThroughput'
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration ImportPath=s3://no-such-bucket
	assert_failure
	assert_output --partial InvalidImportPath
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration DeploymentType=SCRATCH_2,Bogus=1
	assert_failure
	awsim_ctl POST fsx '{"next_create": "stuck"}' >/dev/null
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 --subnet-ids subnet-0a1b2c3d4e5f60001
	assert_success
	awsim_ctl POST fsx '{"next_create": "fail"}' >/dev/null
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 2400 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration DeploymentType=PERSISTENT_1,PerUnitStorageThroughput=50
	assert_success
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 3600 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration DeploymentType=SCRATCH_1
	assert_success
	awsim_advance 3600
	run cli fsx describe-file-systems --max-items 1
	assert_success
	run json 'len(d["FileSystems"]), bool(d.get("NextToken"))'
	assert_output "(1, True)"
	run cli fsx describe-file-systems --page-size 1
	assert_success
	run json '[(f["StorageCapacity"], f["Lifecycle"]) for f in d["FileSystems"]]'
	assert_output "[(1200, 'CREATING'), (2400, 'FAILED'), (3600, 'AVAILABLE')]"
	[ "$(awsim_calls fsx:DescribeFileSystems)" -ge 4 ]
	run cli fsx delete-file-system --file-system-id "$(awsim_ctl GET fsx | jq -r '.file_systems[0].FileSystemId')"
	assert_failure
	assert_output --partial 'being created'
	cli s3api create-bucket --bucket results-2 >/dev/null
	run cli fsx create-file-system --file-system-type LUSTRE --storage-capacity 1200 \
	    --subnet-ids subnet-0a1b2c3d4e5f60001 --lustre-configuration ImportPath=s3://results-2
	fs=$(json 'd["FileSystem"]["FileSystemId"]')
	awsim_advance 300
	awsim_ctl POST fsx '{"next_export": "fail"}' >/dev/null
	run cli fsx create-data-repository-task --file-system-id "$fs" \
	    --type EXPORT_TO_REPOSITORY --report Enabled=false
	assert_success
	awsim_advance 200
	run cli fsx describe-data-repository-tasks
	run json '[(t["Lifecycle"], t["FailureDetails"]["Message"][:6]) for t in d["DataRepositoryTasks"]]'
	assert_output "[('FAILED', 'awsim:')]"
	# a stuck export: EXECUTING however long one waits
	awsim_ctl POST fsx '{"next_export": "stuck"}' >/dev/null
	run cli fsx create-data-repository-task --file-system-id "$fs" \
	    --type EXPORT_TO_REPOSITORY --report Enabled=false
	assert_success
	awsim_advance 86400
	run cli fsx describe-data-repository-tasks --filters Name=task-lifecycle,Values=EXECUTING
	run json '[t["Lifecycle"] for t in d["DataRepositoryTasks"]]'
	assert_output "['EXECUTING']"
}

@test "S3 path style: create, put, list, get, missing key" {
	run cli s3api create-bucket --bucket soca-data
	assert_success
	printf 'hello awsim\n' >obj.txt
	run cli s3api put-object --bucket soca-data --key 'logs/job 1.txt' --body obj.txt
	assert_success
	run cli s3api list-objects-v2 --bucket soca-data --prefix logs/
	assert_success
	run json '[(o["Key"], o["Size"]) for o in d["Contents"]]'
	assert_output "[('logs/job 1.txt', 12)]"
	run cli s3api get-object --bucket soca-data --key 'logs/job 1.txt' out.txt
	assert_success
	assert_equal "$(cat out.txt)" "hello awsim"
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
	    "$AWSIM_URL/soca-data/nope"
	assert_output --partial '<Code>NoSuchKey</Code>'
}

@test "S3 checksums and multipart uploads, as the CLI sends them" {
	cli s3api create-bucket --bucket soca-data >/dev/null
	awsim_ctl POST s3 '{"min_part_size": 4}' >/dev/null
	printf 'part one\n' >p1
	printf 'two\n' >p2
	sum() { openssl dgst -sha256 -binary "$1" | base64; }
	run cli s3api put-object --bucket soca-data --key whole --body p1 \
	    --checksum-sha256 "$(sum p2)"
	assert_failure
	assert_output --partial BadDigest
	run cli s3api put-object --bucket soca-data --key whole --body p1 \
	    --checksum-sha256 "$(sum p1)"
	assert_success
	run cli s3api head-object --bucket soca-data --key whole --checksum-mode ENABLED
	run json 'd["ChecksumSHA256"]'
	assert_output "$(sum p1)"
	run cli s3api create-multipart-upload --bucket soca-data --key mp \
	    --checksum-algorithm SHA256
	assert_success
	id=$(jq -r .UploadId <<<"$output")
	run cli s3api upload-part --bucket soca-data --key mp --upload-id "$id" \
	    --part-number 1 --body p1
	assert_failure	# the upload asked for SHA-256: a part without is refused
	assert_output --partial InvalidRequest
	e1=$(cli s3api upload-part --bucket soca-data --key mp --upload-id "$id" \
	    --part-number 1 --body p1 --checksum-sha256 "$(sum p1)" | jq -r .ETag)
	e2=$(cli s3api upload-part --bucket soca-data --key mp --upload-id "$id" \
	    --part-number 2 --body p2 --checksum-sha256 "$(sum p2)" | jq -r .ETag)
	parts() {
		printf '{"Parts": [{"PartNumber": %s, "ETag": %s, "ChecksumSHA256": "%s"}, {"PartNumber": %s, "ETag": %s, "ChecksumSHA256": "%s"}]}' \
		    "$1" "$(jq -R <<<"$e1")" "$(sum p1)" "$2" "$(jq -R <<<"$e2")" "$3"
	}
	run cli s3api complete-multipart-upload --bucket soca-data --key mp \
	    --upload-id "$id" --multipart-upload "$(parts 2 1 "$(sum p2)")"
	assert_failure
	assert_output --partial InvalidPartOrder
	run cli s3api complete-multipart-upload --bucket soca-data --key mp \
	    --upload-id "$id" --multipart-upload "$(parts 1 2 "$(sum p1)")"
	assert_failure
	assert_output --partial InvalidPart
	run cli s3api complete-multipart-upload --bucket soca-data --key mp \
	    --upload-id "$id" --multipart-upload "$(parts 1 2 "$(sum p2)")"
	assert_success
	want="$(cat <(openssl dgst -sha256 -binary p1) <(openssl dgst -sha256 -binary p2) |
	    openssl dgst -sha256 -binary | base64)-2"
	run json 'd["ChecksumSHA256"]'
	assert_output "$want"
	run cli s3api head-object --bucket soca-data --key mp --checksum-mode ENABLED
	run json '(d["ChecksumSHA256"], d["ContentLength"])'
	assert_output "('$want', 13)"
	run cli s3api abort-multipart-upload --bucket soca-data --key mp --upload-id "$id"
	assert_failure
	assert_output --partial NoSuchUpload
	# a header the operation does not take, by botocore's model
	run curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" \
	    --user "AKIDSOCATEST:soca/test/secret+key" \
	    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
	    -H "x-amz-storage-class: GLACIER" "$AWSIM_URL/soca-data/whole"
	assert_output --partial '<Code>InvalidArgument</Code>'
	[ "$(awsim_ctl GET s3 | jq '.uploads | length')" = 0 ]
}

@test "control endpoint: bad requests are refused, reset clears everything" {
	run awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"flood"}'
	assert_failure
	assert_output --partial 'kind must be one of'
	run awsim_ctl GET nothing
	assert_failure
	awsim_ctl POST faults '{"kind":"throttle","rate":1}' >/dev/null
	ec2_curl 'Action=DescribeVpcs&Version=2016-11-15' >/dev/null
	run awsim_ctl GET calls
	assert_output '{"ec2:DescribeVpcs": 1}'
	run awsim_ctl POST clock '{"advance": 10}'
	run json 'd["pending_seconds"]'
	assert_output 30.0
	awsim_reset
	run awsim_ctl GET calls
	assert_output '{}'
	run awsim_ctl GET faults
	assert_output '[]'
}
