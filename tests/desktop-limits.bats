#!/usr/bin/env bats
# desktop-limits.bats: soca-desktop's limits against awsim -- per user and
# per OS ([desktop] max_linux_per_user, max_windows_per_user), per image
# ([desktop_image "NAME"] max_per_user, max_total), each under concurrent
# launches at the limit, which must give exactly the limit.

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
	export SOCA_AWS_BACKOFF_SCALE=0
	export SOCA_CONF="$BATS_TEST_TMPDIR/soca.conf"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	desk_conf
	ME=$(id -un)
}

# desk_conf [EXTRA LINES...]: [desktop] then the lines (sections allowed)
desk_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\nspool = %s\n' \
		    "$SPOOL"
		printf '[aws]\nami = ami-0a1b2c3d4e5f60001\n'
		printf '[desktop]\n'
		printf 'images = al2023=ami-0a1b2c3d4e5f60002\n'
		printf 'allowed_types = t3, m5.large\n'
		printf '%s\n' "$@"
		printf '[desktop_image "win2022"]\nami = ami-0a1b2c3d4e5f60005\n'
		printf 'os = windows\n'
	} >"$SOCA_CONF"
}

launches() {	# real launches, whatever the token
	awsim_ctl GET launches | jq '.instances'
}

live_tag() {	# live_tag KEY VALUE: live instances with that tag value
	awsim_ctl GET state | jq --arg k "$1" --arg v "$2" \
	    '[.instances[] | select(.Tags[$k] == $v and
	    .State != "terminated" and .State != "shutting-down")] | length'
}

@test "defaults: 4 Linux and 4 Windows desktops per user, concurrently" {
	for i in 1 2 3 4 5 6; do
		soca-desktop launch "l$i" >"lout.$i" 2>&1 &
		soca-desktop launch "w$i" -i win2022 >"wout.$i" 2>&1 &
	done
	wait
	[ "$(launches)" = 8 ]
	[ "$(live_tag soca:DesktopOS linux)" = 4 ]
	[ "$(live_tag soca:DesktopOS windows)" = 4 ]
	[ "$(live_tag soca:DesktopImage win2022)" = 4 ]
	[ "$(grep -l launched lout.* | wc -l)" = 4 ]
	[ "$(grep -l launched wout.* | wc -l)" = 4 ]
	[ "$(grep -l 'has 4 Linux desktops, \[desktop\] max_linux_per_user is 4' lout.* | wc -l)" = 2 ]
	[ "$(grep -l 'has 4 Windows desktops, \[desktop\] max_windows_per_user is 4' wout.* | wc -l)" = 2 ]
	# refused: exit 1, nothing launched
	run soca-desktop launch l9
	assert_failure 1
	assert_output --partial "terminate one (soca-desktop terminate NAME) or ask an admin to raise the limit"
	[ "$(launches)" = 8 ]
	[ ! -e "$SPOOL/desktop/$ME/l9" ]
	# a terminated desktop frees its place
	awsim_advance 60
	soca-desktop terminate l1
	run soca-desktop launch l9
	assert_success
	[ "$(launches)" = 9 ]
}

@test "per-OS limits are configurable; max_per_user caps both OSes together" {
	desk_conf 'max_linux_per_user = 1' 'max_windows_per_user = 2'
	for i in 1 2 3; do
		soca-desktop launch "l$i" >"lout.$i" 2>&1 &
		soca-desktop launch "w$i" -i win2022 >"wout.$i" 2>&1 &
	done
	wait
	[ "$(live_tag soca:DesktopOS linux)" = 1 ]
	[ "$(live_tag soca:DesktopOS windows)" = 2 ]
	[ "$(grep -l 'max_linux_per_user is 1' lout.* | wc -l)" = 2 ]
	[ "$(grep -l 'max_windows_per_user is 2' wout.* | wc -l)" = 1 ]
	desk_conf 'max_per_user = 3' 'max_linux_per_user = 3'
	run soca-desktop launch l4
	assert_failure 1
	assert_output --partial "has 3 desktops, [desktop] max_per_user is 3"
	[ "$(launches)" = 3 ]
}

@test "an image's own limits: max_per_user for one user, max_total for all, concurrently" {
	desk_conf 'max_linux_per_user = 10' '[desktop_image "al2023"]' \
	    'max_per_user = 2'
	for i in 1 2 3 4 5; do
		soca-desktop launch "d$i" >"out.$i" 2>&1 &
	done
	wait
	[ "$(launches)" = 2 ]
	[ "$(grep -l 'has 2 desktops of image al2023, \[desktop_image "al2023"\] max_per_user is 2' out.* | wc -l)" = 3 ]
	awsim_reset
	rm -rf "$SPOOL"
	# max_total: users a, b, c (an admin launches for them), 3 at once
	desk_conf 'max_linux_per_user = 10' '[desktop_image "al2023"]' \
	    'max_total = 3'
	for u in ua ub uc; do
		for i in 1 2; do
			soca-desktop launch "$u/d$i" >"tout.$u$i" 2>&1 &
		done
	done
	wait
	[ "$(launches)" = 3 ]
	[ "$(grep -l 'launched' tout.* | wc -l)" = 3 ]
	[ "$(grep -l 'desktops of image al2023 exist, \[desktop_image "al2023"\] max_total is 3' tout.* | wc -l)" = 3 ]
	# another image is not counted
	run soca-desktop launch ua/w1 -i win2022
	assert_success
}

@test "desktop_image sections: checked by soca-config check" {
	desk_conf '[desktop_image "nope"]' 'os = linux'
	run soca-config check
	assert_failure 2
	assert_output --partial '[desktop_image "nope"]: no ami, and [desktop] images does not name nope (give ami = ami-...)'
	desk_conf '[desktop_image "bad"]' 'ami = img-1'
	run soca-config check
	assert_failure 2
	assert_output --partial 'ami "img-1" is not ami-...'
	desk_conf '[desktop_image "al2023"]' 'os = solaris'
	run soca-config check
	assert_failure 2
	assert_output --partial 'solaris'
	desk_conf 'default_image = win2022'
	run soca-config check
	assert_success
}
