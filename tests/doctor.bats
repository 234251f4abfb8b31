#!/usr/bin/env bats
# soca-doctor (issue 18): one line per check, ok / warn / FAIL with the fix,
# against a real slapd and awsim; each broken thing is found and named,
# nothing is changed, exit 1 only when a check failed.

load lib/helper
load lib/awsim
load lib/slapd

AMI=ami-0a1b2c3d4e5f60001

setup_file() {
	awsim_start
	slapd_start
}

teardown_file() {
	slapd_stop
	awsim_stop
}

setup() {
	soca_test_env
	awsim_reset
	export SOCA_AWS_BACKOFF_SCALE=0
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	site_conf
	soca-spool init >/dev/null
}

# checks [ARGS...]: "STATUS CHECK" per line, from -J
checks() {
	soca-doctor -J "$@" | jq -r '"\(.status) \(.check)"'
	return "${PIPESTATUS[0]}"
}

# site_conf [EXTRA [aws] LINES...]: an aws site with LDAP
site_conf() {
	slapd_write_conf "$HOME/etc/ldap.part"
	{
		printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n'
		printf '[aws]\nami = %s\n' "$AMI"
		printf '%s\n' "$@"
		cat "$HOME/etc/ldap.part"
		printf '[queue "normal"]\ninstance_type = c5.large\n'
		printf '[queue "gpu"]\ninstance_type = g5.xlarge\n'
	} >"$SOCA_CONF"
}

@test "a sound site: every check ok, exit 0, the DryRun asked of AWS now" {
	run checks
	assert_success
	assert_output "ok conf
ok spool
ok leftovers
ok dispatcher
ok ldap
ok aws
ok instances
ok ami
ok queue normal
ok queue gpu
ok vcpu-quota L-1216C47A
ok vcpu-quota L-DB2E81BA
skip shared-fs
ok fsx
skip dcv-license
ok cost-explorer"
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	awsim_requests ec2:RunInstances | jq -se 'length == 2 and all(.DryRun == true)' >/dev/null
	# a second run asks again: the doctor never answers from the cache
	run soca-doctor -q
	assert_success
	assert_output ""
	[ "$(awsim_calls ec2:RunInstances)" = 4 ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
	run soca-doctor -J
	assert_success
	assert_line --regexp '^\{"status":"ok","check":"queue normal","detail":"AWS would launch its default job \(c5\.large x 1, DryRun\)","fix":"-"\}$'
}

@test "a bad AMI and a subnet that does not exist: FAIL with AWS's reason, exit 1" {
	site_conf 'subnet_ids = subnet-0000000000000dead'
	sed -i "s/^ami = .*/ami = ami-0000000000000beef/" "$SOCA_CONF"
	run soca-doctor -q
	assert_failure 1
	assert_line --regexp '^FAIL +ami +ami-0000000000000beef: .*(NotFound|not).*set \[aws\] ami'
	assert_line --regexp '^FAIL +queue normal +AWS would refuse its default job: Invalid'
	run soca-doctor -J -q
	assert_failure 1
	[ "$(jq -r 'select(.status == "FAIL") | .check' <<<"$output" | sort -u | tr '\n' ' ')" = "ami queue gpu queue normal " ]
}

@test "the queues may need more vCPUs than the account's quota: warn with both figures" {
	sed -i 's/^instance_type = c5.large$/instance_type = c5.large\nmax_provisioned_instances = 600/' "$SOCA_CONF"
	awsim_ctl POST limits '{"vcpus": 1000}' >/dev/null
	run soca-doctor -J -q
	assert_success
	[ "$(jq -r '"\(.status) \(.check) \(.detail)"' <<<"$output")" = "warn vcpu-quota L-1216C47A Standard (A, C, D, H, I, M, R, T, Z): 1000 vCPUs, but the queues may run 1200 at once" ]
	awsim_ctl POST limits '{"vcpus": 1200}' >/dev/null
	run soca-doctor -J
	assert_success
	[ "$(jq -r 'select(.check == "vcpu-quota L-1216C47A") | "\(.status) \(.detail)"' <<<"$output")" = "ok Standard (A, C, D, H, I, M, R, T, Z): 1200 vCPUs; the queues' max_provisioned_instances allow 1200" ]
	[ "$(jq -r 'select(.check == "vcpu-quota L-DB2E81BA") | "\(.status) \(.detail)"' <<<"$output")" = "ok G and VT: 10000 vCPUs; the queues' max_provisioned_instances allow 0 (unbounded: gpu)" ]
	[ "$(awsim_calls servicequotas:GetServiceQuota)" = 4 ]
}

@test "desktops: IAM says whether their role may read NICE DCV's license; FAIL with the fix when not" {
	printf '[desktop]\nimages = al2023=ami-0a1b2c3d4e5f60002\ninstance_profile = soca-desktop\n' >>"$SOCA_CONF"
	awsim_ctl POST iam '{"profiles": {"soca-desktop": "soca-desktop-role"}, "policies": {"soca-desktop-role": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::soca-pkg/*"}]}}' >/dev/null
	run soca-doctor -J
	assert_failure 1
	run jq -r 'select(.check == "dcv-license") | "\(.status)|\(.detail)|\(.fix)"' <<<"$output"
	assert_output "FAIL|role arn:aws:iam::123456789012:role/soca-desktop-role of instance profile soca-desktop may not s3:GetObject arn:aws:s3:::dcv-license.us-east-1/* (IAM: implicitDeny): NICE DCV on the desktops will find no license|give the desktops' instance profile's role s3:GetObject on arn:aws:s3:::dcv-license.us-east-1/* (deploy/soca.yaml's DcvLicense statement)"
	[ "$(awsim_calls iam:GetInstanceProfile)" = 1 ]
	[ "$(awsim_calls iam:SimulatePrincipalPolicy)" = 1 ]
	run awsim_requests iam:SimulatePrincipalPolicy
	[ "$(jq -c '[.PolicySourceArn, .ActionNames, .ResourceArns]' <<<"$output")" = '["arn:aws:iam::123456789012:role/soca-desktop-role",["s3:GetObject"],["arn:aws:s3:::dcv-license.us-east-1/*"]]' ]
	# granted, as deploy/soca.yaml's compute role does: ok
	awsim_ctl POST iam '{"policies": {"soca-desktop-role": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dcv-license.us-east-1/*"}]}}' >/dev/null
	run checks
	assert_success
	assert_line "ok dcv-license"
	# an explicit deny wins
	awsim_ctl POST iam '{"policies": {"soca-desktop-role": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dcv-license.*"}]}}' >/dev/null
	run soca-doctor -q -o status,check,detail
	assert_failure 1
	assert_line --regexp '^FAIL +dcv-license +.*\(IAM: explicitDeny\)'
	# a profile that does not exist, and none at all
	sed -i 's/^instance_profile = soca-desktop$/instance_profile = arn:aws:iam::123456789012:instance-profile\/nope/' "$SOCA_CONF"
	run soca-doctor -q -o status,check,detail
	assert_failure 1
	assert_line --regexp '^FAIL +dcv-license +instance profile nope: NoSuchEntity'
	sed -i '/^instance_profile = /d' "$SOCA_CONF"
	run soca-doctor -q -o status,check,fix
	assert_failure 1
	assert_line --regexp '^FAIL +dcv-license +set \[desktop\] instance_profile'
	# IAM refuses the head node: warn, with what to allow
	printf 'instance_profile = soca-desktop\n' >>"$SOCA_CONF"
	awsim_ctl POST faults '{"op": "iam:GetInstanceProfile", "kind": "error", "status": 403, "code": "AccessDenied"}' >/dev/null
	run soca-doctor -q -o status,check,fix
	assert_success
	assert_line --regexp '^warn +dcv-license +allow iam:GetInstanceProfile and iam:SimulatePrincipalPolicy to the head node role'
}

@test "AWS down: the queue lines warn that AWS could not say, the credentials line holds" {
	awsim_ctl POST faults '{"op": "*", "kind": "error", "status": 503}' >/dev/null
	run checks
	assert_failure 1
	assert_line 'ok aws'
	assert_line 'FAIL instances'
	assert_line 'warn ami'
	assert_line 'warn queue normal'
	assert_line 'warn cost-explorer'
}

@test "LDAP with a wrong password: FAIL ldap with the fix; no TLS: warn" {
	site_conf
	printf 'wrong' >"$HOME/etc/pw" && chmod 600 "$HOME/etc/pw"
	sed -i "s|^bind_password_file = .*|bind_password_file = $HOME/etc/pw|; s|^bind_password = .*|bind_password_file = $HOME/etc/pw|" "$SOCA_CONF"
	run soca-doctor -q -o status,check,fix
	assert_failure 1
	assert_line --regexp '^FAIL +ldap +check \[ldap\] uri, bind_dn and bind_password_file'
}

@test "a spool others can read, leftovers, and a kick nobody takes" {
	chmod 755 "$(soca-spool path)"
	: >"$(soca-spool path)/tmp/7.123.r"
	touch -d '10 minutes ago' "$(soca-spool path)/kick"
	run soca-doctor -q -o status,check,fix
	assert_success	# warnings only
	assert_line --regexp "^warn +spool +chmod 700 $(soca-spool path)\$"
	assert_line --regexp '^warn +leftovers +soca-spool check --repair$'
	assert_line --regexp '^warn +dispatcher +systemctl enable --now soca-node-up.timer'
	# nothing changed
	[ -f "$(soca-spool path)/tmp/7.123.r" ]
	[ -f "$(soca-spool path)/kick" ]
}

@test "a shared spool whose commands are not setgid: FAIL setgid naming each" {
	[ "$(id -u)" -eq 0 ] || skip "a root-owned shared spool needs root"
	local g
	g=$(id -gn)
	rm -rf "$(soca-spool path)"
	soca-spool init "$g" >/dev/null
	run soca-doctor -q -o status,check,detail
	assert_failure 1
	assert_line --regexp '^FAIL +setgid +.*/soca-submit is mode 0755 group'
	assert_line --regexp '^FAIL +setgid +.*/soca-alter is mode 0755 group'
}

@test "a broken configuration: every problem a FAIL line, nothing else checked" {
	printf '[cluster]\nname = t1\nbogus = 1\n[queue "q"]\nnodes = many\n' >"$SOCA_CONF"
	run soca-doctor -J
	assert_failure 1
	[ "${#lines[@]}" = 3 ]
	[ "$(jq -r '"\(.status) \(.check) \(.fix)"' <<<"$output" | sort -u)" = "FAIL conf soca-config check $SOCA_CONF" ]
	assert_line --partial 'bogus'
	assert_line --partial 'many'
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
}

@test "usage: --help, a stray argument, a bad column" {
	run soca-doctor --help
	assert_success
	assert_output --partial 'usage: soca-doctor'
	run soca-doctor extra
	assert_failure 2
	run soca-doctor -o status,nope
	assert_failure 2
	assert_output --partial 'nope'
}
