#!/usr/bin/env bats
# soca-index (issue 16): finished jobs, nodes and desktop sessions to
# OpenSearch through _bulk, against
# awsim's OpenSearch endpoint (strict NDJSON _bulk, per-item answers,
# documents kept by _id, SigV4 service es checked with botocore's signer,
# or HTTP basic auth as a self-managed cluster).

load lib/helper
load lib/jobs
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
	write_conf soca.conf <<-EOF
	[cluster]
	name = lab
	spool = $BATS_TEST_TMPDIR/spool
	[index]
	endpoint = $AWSIM_URL
	batch = 2
	EOF
	export SOCA_CONF=$PWD/soca.conf
	export SOCA_AWS_BACKOFF_SCALE=0.01
}

# jobs N: N finished jobs (ids 1..N), the last one failed with exit 3
jobs() {
	local i id
	for i in $(seq 1 $(($1 - 1))); do
		id=$(soca-submit -N "job$i" -l walltime=1:00:00 -- true)
	done
	id=$(soca-submit -N bad -- sh -c 'exit 3')
	wait_state "$id" failed
	for i in $(seq 1 $(($1 - 1))); do
		wait_state "$i" done
	done
}

# os JQ: a jq filter over awsim's OpenSearch state
os() {
	awsim_ctl GET opensearch | jq -c "$1"
}

@test "finished jobs go to OpenSearch with deterministic ids, the template first" {
	jobs 3
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 3 sent, 0 refused, [0-9]+ bytes$'
	assert_equal "$(os '.indices["soca-jobs"].count')" 3
	assert_equal "$(os '.indices["soca-jobs"].docs | keys')" '["lab.job.1","lab.job.2","lab.job.3"]'
	assert_equal "$(os '.bulks')" '[["lab.job.1","lab.job.2"],["lab.job.3"]]'
	assert_equal "$(os '.templates["soca-jobs"].index_patterns')" '["soca-jobs*"]'
	assert_equal "$(os '.templates["soca-jobs"].template.mappings.dynamic')" '"strict"'
	run os '.indices["soca-jobs"].docs["lab.job.3"] | [.state, .name, .exit_status, .queue, .cluster, .used.ncpus, .requested.nodes]'
	assert_output '["failed","bad",3,"normal","lab",1,"1"]'
	run os '.indices["soca-jobs"].docs["lab.job.1"] | [.requested.walltime, (.end_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")), (.submit_time | test("Z$"))]'
	assert_output '["1:00:00",true,true]'
	[ "$(awsim_calls es:Bulk)" -eq 2 ]
	[ "$(awsim_calls es:PutIndexTemplate)" -eq 1 ]
}

@test "a rerun sends nothing; a new job alone; --all again adds no document" {
	jobs 2
	soca-index
	run soca-index
	assert_success
	assert_output 'jobs: 0 sent, 0 refused, 0 bytes'
	[ "$(awsim_calls es:Bulk)" -eq 1 ]
	id=$(soca-submit -N later -- true)
	wait_state "$id" done
	run soca-index
	assert_output --regexp '^jobs: 1 sent, 0 refused'
	assert_equal "$(os '.bulks[-1]')" '["lab.job.3"]'
	run soca-index --all
	assert_output --regexp '^jobs: 3 sent, 0 refused'
	assert_equal "$(os '.indices["soca-jobs"].count')" 3
	assert_equal "$(os '.indices["soca-jobs"].versions["lab.job.1"]')" 2
}

@test "a partial failure resends only the failed items: 429 in the run, a mapping refusal next run" {
	jobs 4
	# the first two bulks: job 2 gets 429 (retried at once), job 3 is
	# refused
	awsim_ctl POST opensearch '{"reject": {"lab.job.2": 429, "lab.job.3": 400}, "times": 2}' >/dev/null
	run soca-index
	assert_failure 1
	assert_line --regexp '^soca-index: job 3: refused \(400 mapper_parsing_exception\)'
	assert_line --regexp '^jobs: 3 sent, 1 refused'
	assert_equal "$(os '.bulks')" '[["lab.job.1","lab.job.2"],["lab.job.3","lab.job.4"],["lab.job.2"]]'
	assert_equal "$(os '.indices["soca-jobs"].count')" 3
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 1 sent, 0 refused'
	assert_equal "$(os '.bulks[-1]')" '["lab.job.3"]'
	assert_equal "$(os '.indices["soca-jobs"].count')" 4
	run soca-index
	assert_output 'jobs: 0 sent, 0 refused, 0 bytes'
}

@test "429 on every try: left for the next run, nothing lost" {
	jobs 2
	awsim_ctl POST opensearch '{"reject": {"lab.job.1": 429}, "times": 5}' >/dev/null
	run soca-index
	assert_failure 1
	assert_line 'soca-index: job 1: refused with 429/5xx 3 times; sent again next run'
	awsim_ctl POST opensearch '{"reject": {}, "times": 0}' >/dev/null
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 1 sent'
	assert_equal "$(os '.indices["soca-jobs"].docs | keys')" '["lab.job.1","lab.job.2"]'
}

@test "SigV4 service es is verified: a wrong secret is refused, the checkpoint kept" {
	jobs 1
	AWS_SECRET_ACCESS_KEY=wrong run soca-index
	assert_failure 1
	assert_line --regexp '^soca-index: PUT http://127.0.0.1:[0-9]+/_index_template/soca-jobs: HTTP 403 security_exception: The request signature we calculated does not match'
	[ "$(awsim_calls es:PutIndexTemplate)" -eq 1 ]
	[ "$(awsim_calls es:Bulk)" -eq 0 ]
	assert_equal "$(os '.indices | length')" 0
	[ ! -e spool/index.jobs ]
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 1 sent'
}

@test "a whole request refused (HTTP 503 each try): exit 3, the checkpoint kept" {
	jobs 1
	awsim_ctl POST faults '{"op": "es:Bulk", "kind": "error", "status": 503, "count": 10}' >/dev/null
	run soca-index
	assert_failure 3
	[ ! -e spool/index.jobs ]
	awsim_ctl DELETE faults >/dev/null
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 1 sent'
}

@test "basic auth (a self-managed cluster): the password from password_file" {
	jobs 1
	printf 'soca-test-Pw1\n' >pw
	printf 'auth = basic\nuser = admin\npassword_file = %s/pw\n' "$PWD" >>soca.conf
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	run soca-index
	assert_success
	assert_output --regexp '^jobs: 1 sent'
	[ "$(awsim_calls es-basic:Bulk)" -eq 1 ]
	printf 'nope\n' >pw
	rm spool/index.jobs
	run soca-index
	assert_failure
	assert_output --partial 'missing authentication credentials'
}

@test "basic auth refuses plain http to another host" {
	printf 'auth = basic\nuser = admin\npassword_file = /dev/null\n' >>soca.conf
	sed -i 's|^endpoint = .*|endpoint = http://search.example.com|' soca.conf
	run soca-index
	assert_failure 2
	assert_output 'soca-index: [index] endpoint http://search.example.com: basic auth goes over https only (or to a loopback address)'
}

@test "--ndjson: the same bulk body on stdout, nothing sent, the checkpoint untouched" {
	jobs 2
	run soca-index --ndjson
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 '{"index":{"_id":"lab.job.1","_index":"soca-jobs"}}'
	echo "${lines[1]}" | jq -e '.id == 1 and .state == "done"'
	[ "$(awsim_calls es:Bulk)" -eq 0 ]
	[ ! -e spool/index.jobs ]
	# the body is what soca-index sends: awsim takes it as it is
	soca-index --ndjson >body
	soca-index
	run os '.indices["soca-jobs"].docs["lab.job.2"]'
	assert_output "$(sed -n 4p body | jq -cS .)"
}

@test "no endpoint, a bad argument: exit 2" {
	sed -i '/^endpoint/d' soca.conf
	jobs 1
	run soca-index
	assert_failure 2
	assert_output --partial '[index] endpoint "": give the cluster'"'"'s URL'
	run soca-index sessions
	assert_failure 2
	assert_output --partial '"sessions": soca-index sends jobs, nodes or desktops'
}

# launch TAGS...: one instance of cluster lab with KEY=VALUE tags
launch() {
	local args=(ImageId="$(soca-aws ec2 DescribeImages | jq -r '.imagesSet[0].imageId')"
		InstanceType=c5.large MinCount=1 MaxCount=1
		TagSpecification.1.ResourceType=instance
		TagSpecification.1.Tag.1.Key=soca:ClusterId
		TagSpecification.1.Tag.1.Value=lab) i=2 kv
	for kv in "$@"; do
		args+=("TagSpecification.1.Tag.$i.Key=${kv%%=*}"
			"TagSpecification.1.Tag.$i.Value=${kv#*=}")
		i=$((i + 1))
	done
	soca-aws ec2 RunInstances "${args[@]}" | jq -r '.instancesSet[0].instanceId'
}

@test "nodes: one snapshot of the cluster's instances, jobs' nodes and desktops" {
	printf 'provider = aws\n' >cluster.add
	sed -i '/^name = lab$/r cluster.add' soca.conf
	a=$(launch soca:JobId=7 soca:JobOwner=alice soca:JobQueue=normal soca:NodeType=compute)
	d=$(launch soca:NodeType=desktop soca:DesktopName=cad soca:JobOwner=bob)
	launch_other=$(soca-aws ec2 RunInstances ImageId="$(soca-aws ec2 DescribeImages | jq -r '.imagesSet[0].imageId')" InstanceType=c5.large MinCount=1 MaxCount=1 | jq -r '.instancesSet[0].instanceId')
	run soca-index nodes
	assert_success
	assert_output --regexp '^nodes: 2 sent, 0 refused, [0-9]+ bytes$'
	run os '.indices["soca-nodes"].docs | to_entries | map(.value | [.instance_id, .node_type, .job_id, .owner, .desktop, .instance_type]) | sort'
	assert_output "$(jq -cn --arg a "$a" --arg d "$d" '[[$a,"compute","7","alice",null,"c5.large"],[$d,"desktop",null,"bob","cad","c5.large"]] | sort')"
	run os '.indices["soca-nodes"].docs | keys | map(test("^lab\\.node\\.i-[0-9a-f]+\\.[0-9]+$")) | all'
	assert_output true
	assert_equal "$(os '.templates["soca-nodes"].template.mappings.properties.snapshot_time.type')" '"date"'
	[ -n "$launch_other" ]
}

@test "nodes with the local provider: nothing to send" {
	run soca-index nodes
	assert_success
	assert_output 'nodes: 0 sent, 0 refused, 0 bytes'
	[ "$(awsim_calls es:Bulk)" -eq 0 ]
}

# desktops: soca.conf as soca-desktop needs it (provider aws, images, types)
desk_conf() {
	printf 'provider = aws\n' >cluster.add
	sed -i '/^name = lab$/r cluster.add' soca.conf
	cat >>soca.conf <<-EOF
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	[desktop]
	images = al2023=ami-0a1b2c3d4e5f60002
	allowed_types = t3, m5.large
	EOF
	ME=$(id -un)
}

# at EPOCH: SOCA_NOW and awsim's clock
at() {
	export SOCA_NOW=$1
	awsim_ctl POST clock "{\"set\": $1}" >/dev/null
}

iso() {
	date -ud "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# desk ID JQ: a jq filter over desktop document ID
desk() {
	os ".indices[\"soca-desktops\"].docs[\"lab.desktop.$ME.$1\"] | $2"
}

@test "desktops: one document a session, updated in place as its state changes, only what changed sent" {
	desk_conf
	t0=$(date -ud 2026-11-02T09:00 +%s)
	at "$t0"
	soca-desktop launch ws1 -P cfd
	soca-desktop launch ws2 -t m5.large
	at $((t0 + 60))
	run soca-index desktops
	assert_success
	assert_output --regexp '^desktops: 2 sent, 0 refused, [0-9]+ bytes$'
	assert_equal "$(os '.indices["soca-desktops"].docs | keys')" "[\"lab.desktop.$ME.ws1.0\",\"lab.desktop.$ME.ws2.0\"]"
	iid=$(soca-aws ec2 DescribeInstances | jq -r --arg n ws1 '.reservationSet[].instancesSet[] | select(any(.tagSet[]; .key == "soca:DesktopName" and .value == $n)) | .instanceId')
	run desk ws1.0 '[.owner, .name, .generation, .state, .instance_type, .image, .project, .instance_id, .created_time, .started_time, .hours_running, .stopped_time]'
	assert_output "[\"$ME\",\"ws1\",0,\"running\",\"t3.large\",\"al2023\",\"cfd\",\"$iid\",\"$(iso "$t0")\",\"$(iso "$t0")\",0.02,null]"
	assert_equal "$(desk ws2.0 '[.instance_type, .state]')" '["m5.large","running"]'
	assert_equal "$(os '.templates["soca-desktops"].template.mappings | [.dynamic, .properties.started_time.type, .properties.hours_running.type, .properties.owner.type]')" '["strict","date","double","keyword"]'
	grep -q "^D lab.desktop.$ME.ws1.0 [0-9a-f]\{64\} $iid t3.large " spool/index.desktops

	# a rerun at the same time: the same documents, nothing sent
	run soca-index desktops
	assert_success
	assert_output 'desktops: 0 sent, 0 refused, 0 bytes'
	[ "$(awsim_calls es:Bulk)" -eq 1 ]

	# ws1 stopped: its document updated (version 2), not a second one;
	# ws2 runs on, its hours grow
	soca-desktop stop ws1
	at $((t0 + 3600))
	run soca-index desktops
	assert_output --regexp '^desktops: 2 sent, 0 refused'
	assert_equal "$(os '.indices["soca-desktops"].count')" 2
	assert_equal "$(os ".indices[\"soca-desktops\"].versions[\"lab.desktop.$ME.ws1.0\"]")" 2
	assert_equal "$(desk ws1.0 '[.state, .stopped_time, .hours_running]')" "[\"stopped\",\"$(iso $((t0 + 60)))\",0.02]"
	assert_equal "$(desk ws2.0 '.hours_running')" 1

	# ws2 terminated, then launched again: a new session (generation 1)
	soca-desktop terminate ws2
	at $((t0 + 7200))
	run soca-index desktops
	assert_output --regexp '^desktops: 1 sent, 0 refused'
	assert_equal "$(desk ws2.0 '[.state, .terminated_time, .hours_running]')" "[\"terminated\",\"$(iso $((t0 + 3600)))\",1]"
	soca-desktop launch ws2
	run soca-index desktops
	assert_output --regexp '^desktops: 1 sent, 0 refused'
	assert_equal "$(os '.indices["soca-desktops"].count')" 3
	assert_equal "$(desk ws2.1 '[.generation, .state, .instance_type]')" '[1,"pending","t3.large"]'
	assert_equal "$(desk ws2.0 '.state')" '"terminated"'

	# --all sends every session again, but the past generation (its
	# document final, the record now ws2.1's): the same ids, no new one
	run soca-index --all desktops
	assert_output --regexp '^desktops: 2 sent, 0 refused'
	assert_equal "$(os '.indices["soca-desktops"].count')" 3
	assert_equal "$(desk ws2.0 '.terminated_time')" "\"$(iso $((t0 + 3600)))\""
}

@test "desktops: a refused item is sent again next run, alone; --ndjson sends nothing" {
	desk_conf
	t0=$(date -ud 2026-11-02T09:00 +%s)
	at "$t0"
	soca-desktop launch ws1
	soca-desktop launch ws2
	awsim_ctl POST opensearch "{\"reject\": {\"lab.desktop.$ME.ws1.0\": 400}, \"times\": 1}" >/dev/null
	run soca-index desktops
	assert_failure 1
	assert_line --regexp "^soca-index: desktop lab.desktop.$ME.ws1.0: refused \(400 mapper_parsing_exception\)"
	assert_line --regexp '^desktops: 1 sent, 1 refused'
	run soca-index desktops
	assert_success
	assert_output --regexp '^desktops: 1 sent, 0 refused'
	assert_equal "$(os '.bulks[-1]')" "[\"lab.desktop.$ME.ws1.0\"]"
	assert_equal "$(os '.indices["soca-desktops"].count')" 2

	cp spool/index.desktops before
	at $((t0 + 600))
	run soca-index --ndjson desktops
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 "{\"index\":{\"_id\":\"lab.desktop.$ME.ws1.0\",\"_index\":\"soca-desktops\"}}"
	echo "${lines[1]}" | jq -e '.state == "running" and .hours_running == 0.17 and .estimate_usd == null'
	# with [budget] (prices), the cost estimate: 3 hours of t3.large
	printf '[budget]\naccount_id = 123456789012\n' >>soca.conf
	at $((t0 + 10800))
	run soca-index --ndjson desktops
	assert_success
	echo "${lines[1]}" | jq -e '.hours_running == 3 and .estimate_usd == 0.25'
	[ "$(awsim_calls es:Bulk)" -eq 2 ]
	cmp before spool/index.desktops
}
