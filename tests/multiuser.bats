#!/usr/bin/env bats
# A shared spool (root:socatest-soca, mode 2770) reached only through
# setgid copies of soca-submit, soca-stat and soca-del, as crontab(1) is.
# Two users, socatest-alice and socatest-bob; root dispatches.

load lib/helper
load lib/jobs

G=socatest-soca

setup() {
	[ "$(id -u)" -eq 0 ] || skip "multi-user tests need root (useradd, chown, setgid binaries)"
	command -v runuser >/dev/null || skip "runuser(1) is missing"
	[ -z "${SOCA_SANITIZED:-}" ] || skip "LeakSanitizer cannot run setgid programs: this suite runs in the normal build"
	soca_test_env
	getent group $G >/dev/null || groupadd $G
	getent group socatest-admins >/dev/null || groupadd socatest-admins
	getent group socatest-extra >/dev/null || groupadd socatest-extra
	for u in alice bob; do
		id socatest-$u >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh socatest-$u
	done
	usermod -a -G socatest-extra socatest-alice
	gpasswd -d socatest-bob socatest-admins >/dev/null 2>&1 || true
	T=$(mktemp -d /tmp/soca-mu.XXXXXX)
	chmod 0755 "$T"
	mkdir "$T/bin"
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter \
		soca-node-up soca-node-run soca-node-down soca-spool; do
		cp "$SOCA_BUILDDIR/bin/$c" "$T/bin/"
	done
	# the PBS front-ends need no privilege: they run the setgid soca-*
	for c in qsub qstat qdel qhold qrls qalter qselect; do
		cp "$SOCA_BUILDDIR/bin/$c" "$T/bin/"
	done
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter; do
		chgrp $G "$T/bin/$c"
		chmod 2755 "$T/bin/$c"
	done
	printf '[cluster]\nspool = %s/spool\ndispatch = cron\nadmin_group = socatest-admins\nkill_grace = 1s\n' "$T" >"$T/soca.conf"
	chmod 0644 "$T/soca.conf"
	export SOCA_CONF=$T/soca.conf PATH="$T/bin:$PATH"
	"$T/bin/soca-spool" init $G
	for u in alice bob; do
		mkdir "$T/$u"
		chown socatest-$u: "$T/$u"
	done
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

# as USER CMD...: run a command as socatest-USER in that user's directory
as() {
	local u=$1
	shift
	(cd "$T/$u" && runuser -u socatest-"$u" -- env SOCA_CONF="$SOCA_CONF" PATH="$PATH" "$@")
}

@test "the spool is root:$G 2770 and users cannot enter it" {
	run stat -c '%U:%G %a' "$T/spool"
	assert_output "root:$G 2770"
	run as alice ls "$T/spool"
	assert_failure
}

@test "the owner is the real uid; everyone sees the queue" {
	run as alice soca-submit -- true
	assert_success
	assert_output 1
	run as bob soca-stat -n -o id,user
	assert_output --regexp '^1 +socatest-alice$'
	run soca-stat -f 1
	assert_line "uid=$(id -u socatest-alice)"
	assert_line "gid=$(id -g socatest-alice)"
}

@test "bob cannot cancel, alter or read the script of alice's job" {
	as alice soca-submit -- echo secret-words
	run as bob soca-del 1
	assert_failure 1
	assert_output --partial 'job 1: belongs to socatest-alice; only its owner or an administrator'
	run soca-stat -n -o state 1
	assert_output queued
	run as bob cat "$T/spool/queued/1"
	assert_failure
	run as bob sh -c "echo uid=0 >>'$T/spool/queued/1'"
	assert_failure
	run as bob soca-submit "$T/spool/queued/1"
	assert_failure 2
	assert_output --partial 'cannot read it'
	run as bob soca-stat -f 1
	refute_output --partial secret-words
	run as alice soca-del 1
	assert_success
	assert_output 1
}

@test "soca-hold, soca-release, soca-alter: owners their own jobs, admins any" {
	as alice soca-submit -- true
	run as bob soca-hold 1
	assert_failure 1
	assert_output --partial 'job 1: belongs to socatest-alice; only its owner or an administrator (root, group socatest-admins) may hold it'
	run as bob soca-alter -p 5 1
	assert_failure 1
	assert_output --partial 'may alter it'
	run soca-stat -f 1
	refute_line 'priority=5'
	run as alice soca-hold 1
	assert_output 1
	run as bob soca-release 1
	assert_failure 1
	assert_output --partial 'may release it'
	run soca-stat -n -o reason 1
	assert_output 'held by socatest-alice'
	run as alice soca-alter -N mine 1
	assert_output 1
	# an administrator's hold on alice's job: only an administrator lifts it
	run as alice soca-release 1
	assert_output 1
	usermod -a -G socatest-admins socatest-bob
	run as bob soca-hold 1
	assert_output 1
	run as bob soca-alter -p 9 1
	assert_output 1
	gpasswd -d socatest-bob socatest-admins >/dev/null
	run soca-stat -n -o reason 1
	assert_output 'held by socatest-bob'
	run as alice soca-release 1
	assert_failure 1
	assert_output --partial 'held by socatest-bob, an administrator; only an administrator may release it'
	run soca-release 1
	assert_output 1
	run soca-stat -f 1
	assert_line 'priority=9'
	assert_line 'name=mine'
	refute_line --regexp '^hold='
}

@test "a job runs with its owner's uid, gid and groups, never the spool's group" {
	as alice soca-submit -N ids -- sh -c 'id -u; id -g; id -G'
	soca-node-up
	wait_state 1 done 10
	run cat "$T/alice/ids.o1"
	assert_line --index 0 "$(id -u socatest-alice)"
	assert_line --index 1 "$(id -g socatest-alice)"
	assert_line --index 2 "$(id -G socatest-alice)"
	sg=$(getent group $G | cut -d: -f3)
	[[ " ${lines[2]} " != *" $sg "* ]]
	run stat -c %U "$T/alice/ids.o1"
	assert_output socatest-alice
}

@test "root and admin_group members may cancel anything" {
	as alice soca-submit -- true
	as alice soca-submit -- true
	run soca-del 1
	assert_success
	assert_output 1
	usermod -a -G socatest-admins socatest-bob
	run as bob soca-del 2
	assert_success
	assert_output 2
	gpasswd -d socatest-bob socatest-admins >/dev/null
}

@test "a queue's allowed_users may name a group" {
	printf '[queue "normal"]\nallowed_users = socatest-extra\n' >>"$T/soca.conf"
	run as alice soca-submit -- true
	assert_success
	run as bob soca-submit -- true
	assert_failure 2
	assert_output --partial 'user socatest-bob is not allowed (allowed_users: socatest-extra)'
}

@test "a user cannot run the dispatcher or runner on a shared spool" {
	as alice soca-submit -- true
	as bob soca-submit -- true
	run as alice "$T/bin/soca-node-up"
	assert_failure 3
	assert_output --partial 'Permission denied'
	run as alice "$T/bin/soca-node-run" 1
	assert_failure
	run soca-stat -n -o state 1 2
	assert_output "$(printf 'queued\nqueued')"
}

@test "policy = fairshare lets bob's job pass alice's earlier ones" {
	printf '[cluster]\nslots = 2\n[queue "normal"]\npolicy = fairshare\n' >>"$T/soca.conf"
	for i in 1 2 3; do as alice soca-submit -- sleep 2; done
	as bob soca-submit -- sleep 2
	soca-node-up
	run soca-stat -n -o id,user,state
	assert_line --regexp '^1 +socatest-alice +(provisioning|running)$'
	assert_line --regexp '^4 +socatest-bob +(provisioning|running)$'
	assert_line --regexp '^2 +socatest-alice +queued$'
}

@test "policy = fifo (the default) keeps submission order" {
	printf '[cluster]\nslots = 2\n' >>"$T/soca.conf"
	for i in 1 2 3; do as alice soca-submit -- sleep 2; done
	as bob soca-submit -- sleep 2
	soca-node-up
	run soca-stat -n -o id,state
	assert_line --regexp '^2 +(provisioning|running)$'
	assert_line --regexp '^4 +queued$'
}

@test "an admin who cannot signal a job still stops it: the runner sees the cancel" {
	as alice soca-submit -- sleep 60
	soca-node-up
	wait_state 1 running 5
	usermod -a -G socatest-admins socatest-bob
	run as bob soca-del 1
	gpasswd -d socatest-bob socatest-admins >/dev/null
	assert_success
	assert_output 1
	eventually 30 eval '! pgrep -u socatest-alice -x sleep >/dev/null'
	! pgrep -u socatest-alice -x sleep
	eventually_output 30 '^cancelled +143$' soca-stat -x -n -o state,exit 1
	run soca-stat -x -n -o state,exit 1
	assert_output --regexp '^cancelled +143$'
}

@test "setgid commands take no configuration a user could write" {
	# a user's own file would let them choose the spool the group writes to
	printf '[cluster]\nspool = %s/alice/spool\n' "$T" >"$T/alice/mine.conf"
	chown socatest-alice: "$T/alice/mine.conf"
	run as alice env SOCA_CONF="$T/alice/mine.conf" soca-submit -- true
	assert_failure 2
	assert_output --partial "mine.conf: a shared spool's configuration must be a file owned by root and writable by root only"
	[ ! -e "$T/alice/spool" ]
	# root's file, but naming no spool: no per-user default either
	printf '[cluster]\ndispatch = cron\n' >"$T/nospool.conf"
	run as alice env SOCA_CONF="$T/nospool.conf" soca-submit -- true
	assert_failure 2
	assert_output --partial "nospool.conf: a shared spool needs [cluster] spool set"
	run soca-stat -x -n
	assert_output ""
}

@test "arrays: only the owner cancels an array or a subjob; subjobs run as their owner" {
	run as alice soca-submit -J 1-3 -N arr -- id -un
	assert_output '1[]'
	run as bob soca-del '1[]'
	assert_failure 1
	assert_output --partial 'job 1[]: belongs to socatest-alice; only its owner or an administrator'
	run as bob soca-del '1[2]'
	assert_failure 1
	assert_output --partial 'job 1[2]: belongs to socatest-alice'
	run as bob soca-hold '1[]'
	assert_failure 1
	# a subjob not begun: its cancelled record, written through setgid
	run as alice soca-del '1[2]'
	assert_success
	assert_output '1[2]'
	run stat -c '%G %a' "$T/spool/cancelled/3"
	assert_output "$(stat -c '%G %a' "$T/spool/queued/1")"
	assert_output --regexp "^$G "
	# root's cron dispatches
	soca-node-up
	wait_state '1[1]' done 10
	wait_state '1[3]' done 10
	soca-node-up
	wait_state '1[]' failed 5
	run as bob soca-stat -x -n -t -o id,user,state,exit 1
	assert_output "$(printf ' 1[]  socatest-alice  failed     2\n1[1]  socatest-alice  done       0\n1[2]  socatest-alice  cancelled  -\n1[3]  socatest-alice  done       0')"
	run cat "$T/alice/arr.o1.1" "$T/alice/arr.o1.3"
	assert_output "$(printf 'socatest-alice\nsocatest-alice')"
	run stat -c %U "$T/alice/arr.o1.3"
	assert_output socatest-alice
	[ ! -e "$T/alice/arr.o1.2" ]
}

@test "the PBS front-ends, unprivileged, over the setgid commands: another's job is 159" {
	run as alice qsub -- sleep 60
	assert_success
	assert_output 1.soca
	run as bob qstat 1.soca
	assert_success
	assert_line --regexp '^1\.soca +sleep +socatest-alice +0 Q normal$'
	run as bob qdel 1.soca
	assert_failure 159
	assert_output 'qdel: Unauthorized Request  1.soca'
	run as bob qhold 1
	assert_failure 159
	run as bob qalter -N x 1
	assert_failure 159
	run as alice qhold 1.soca
	assert_success
	run as bob qselect -s H
	assert_output 1.soca
	run as alice qdel 1
	assert_success
	run as alice qstat -x -f 1
	assert_line '    job_state = F'
}

@test "the PBS front-ends and arrays: another's array or subjob is 159, one's own subjob held alone 156" {
	run as alice qsub -J 1-3 -N arr -- true
	assert_success
	assert_output '1[].soca'
	for id in '1[]' '1[].soca' '1[2]' '1[2].soca'; do
		run as bob qdel "$id"
		assert_failure 159
		assert_output "qdel: Unauthorized Request  $id"
		run as bob qhold "$id"
		assert_failure 159
	done
	run as alice qhold '1[2]'
	assert_failure 156
	assert_output 'qhold: Invalid request 1[2]'
	run as alice qdel '1[2].soca'
	assert_success
	assert_output ''
	run as bob qstat -t
	assert_line --regexp '^1\[\]\.soca +arr +socatest-alice +0 Q normal$'
	assert_line --regexp '^1\[2\]\.soca +arr +socatest-alice +0 X normal$'
	run as bob qselect -J
	assert_output '1[].soca'
}
