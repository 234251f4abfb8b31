#!/usr/bin/env bats
# Job mail through Amazon SES (issue 16): [mail] ses = yes sends each
# message raw with SES v2 SendEmail, signed by lib/aws and validated by
# awsim against botocore's sesv2 model.

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
	spool = $BATS_TEST_TMPDIR/spool
	[mail]
	ses = yes
	from = soca@example.com
	EOF
	export SOCA_CONF=$PWD/soca.conf
}

# sent JQ: jq over the messages awsim's SES kept
sent() {
	awsim_ctl GET ses | jq -c "$1"
}

# wait_sent N: until SES has N messages (15 s)
wait_sent() {
	local n=150
	while [ "$(sent '.sent | length')" -lt "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(sent '.sent | length')" -ge "$1" ]
}

@test "-m be through SES: one SendEmail an event, raw, to qualified addresses" {
	id=$(soca-submit -m be -M alice@example.org,bob -N hello -- true)
	wait_state "$id" done
	wait_sent 2
	run sent '[.sent[] | .To] | unique'
	assert_output '[["alice@example.org","bob@example.com"]]'
	run sent '[.sent[] | .From] | unique'
	assert_output '["soca@example.com"]'
	run sent '[.sent[].Raw | capture("Subject: (?<s>[^\r\n]*)").s] | sort'
	assert_output "[\"soca job $id (hello): begun\",\"soca job $id (hello): ended\"]"
	sent '.sent[0].Raw' | grep -q 'Exit status\|has begun'
	[ "$(awsim_calls ses:SendEmail)" -eq 2 ]
}

@test "SES refusing (a bad signature) fails no job: logged and counted" {
	AWS_SECRET_ACCESS_KEY=wrong soca-submit -m e -M alice@example.org -- true >id
	wait_state "$(cat id)" done
	n=150
	while [ ! -e spool/mail.failed ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	assert_equal "$(cat spool/mail.failed)" 1
	assert_equal "$(sent '.sent | length')" 0
	[ "$(awsim_calls ses:SendEmail)" -ge 1 ]
}
