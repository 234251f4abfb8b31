#!/usr/bin/env bats
# Job mail (issue 16): -m abe / -M delivered at begin, end and abort
# through the system's sendmail interface, here Debian's exim4 (no daemon:
# its sendmail delivers local mail itself) into a local user's mailbox,
# which the tests read and parse.  Header injection: addresses checked at
# submission and again before sending, the subject cut to printable ASCII.

load lib/helper
load lib/jobs

MAILUSER=socatest-mail
MBOX=/var/mail/$MAILUSER

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a local user to mail)"
	[ -x /usr/sbin/exim4 ] || skip "exim4-daemon-light is missing (tests/setup-deps test)"
	# exim delivers into the mailbox as the user, from the user's home
	id $MAILUSER >/dev/null 2>&1 || useradd -m -s /bin/sh $MAILUSER
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a local user to mail)"
	[ -x /usr/sbin/exim4 ] || skip "exim4-daemon-light is missing (tests/setup-deps test)"
	soca_test_env
	write_conf soca.conf <<-EOF
	[cluster]
	spool = $BATS_TEST_TMPDIR/spool
	kill_grace = 2s
	[mail]
	from = soca@example.com
	EOF
	export SOCA_CONF=$PWD/soca.conf
	[ ! -e "$MBOX" ] || : >"$MBOX"
	# exim qualifies a bare local part with its qualify_domain
	TO=$MAILUSER@$(exim4 -bP qualify_domain | sed 's/.*= //')
}

# mails: each delivered message as one line, SUBJECT|TO|BCC|HEADERS
# (BCC "bcc" when the message has a Bcc header, HEADERS how many: ours
# and exim's Return-path, Envelope-to, Delivery-date, Received and
# Message-Id), sorted (mail is delivered in no set order)
mails_raw() {
	python3 - "$MBOX" <<-'EOF'
	import mailbox, sys
	for m in mailbox.mbox(sys.argv[1]):
	    print("%s|%s|%s|%d" % (m["Subject"], m["To"],
	        "bcc" if m["Bcc"] is not None else "",
	        len(m.keys())))
	EOF
}

mails() {
	mails_raw | sort
}

# body WORD: the body of the message whose subject ends in WORD
body() {
	python3 - "$MBOX" "$1" <<-'EOF'
	import mailbox, sys
	for m in mailbox.mbox(sys.argv[1]):
	    if m["Subject"].endswith(sys.argv[2]):
	        print(m.get_payload())
	EOF
}

# wait_mails N [SECONDS]: until the mailbox holds N messages
wait_mails() {
	local want=$1 n=$(( ${2:-15} * 10 )) got=0
	while [ "$n" -gt 0 ]; do
		got=$(grep -c '^From ' "$MBOX" 2>/dev/null || true)
		[ "${got:-0}" -ge "$want" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "mailbox: $got messages, wanted $want" >&2
	return 1
}

@test "-m abe: a job that runs to its end sends begin and end" {
	id=$(soca-submit -m abe -M $MAILUSER -N hello -- sh -c 'exit 3')
	wait_state "$id" failed
	wait_mails 2
	run mails
	assert_line --index 0 "soca job $id (hello): begun|$TO||13"
	assert_line --index 1 "soca job $id (hello): ended|$TO||13"
	assert_equal "${#lines[@]}" 2
	run body ended
	assert_line --regexp '^Exit status: +3$'
	assert_line --regexp '^Queue: +normal$'
	assert_line --regexp '^Used: +cput=00:00:00 walltime=[0-9:]+ mem=[0-9]+kb ncpus=1$'
	grep -q '^Return-path: <soca@example.com>$' "$MBOX"
	grep -q '^From: soca@example.com$' "$MBOX"
}

@test "-m a: a job cancelled while running sends abort, and no begin" {
	id=$(soca-submit -m a -M $MAILUSER -N long -- sleep 60)
	wait_state "$id" running
	soca-del "$id"
	wait_mails 1
	run mails
	assert_output "soca job $id (long): aborted|$TO||13"
	run body aborted
	assert_line --regexp '^Reason: +cancelled while running$'
}

@test "-m ae: a job past its walltime sends abort, not end" {
	id=$(soca-submit -m ae -M $MAILUSER -N slow -l walltime=1 -- sleep 60)
	wait_state "$id" failed 20
	wait_mails 1
	run mails
	assert_output "soca job $id (slow): aborted|$TO||13"
	run body aborted
	assert_line --regexp '^Reason: +walltime exceeded \(killed by signal 15\)$'
}

@test "-m ab: a job that cannot start sends abort only" {
	id=$(soca-submit -m ab -M $MAILUSER -N nosh -S /nonexistent/sh -- true)
	wait_state "$id" failed
	wait_mails 1
	run mails
	assert_output "soca job $id (nosh): aborted|$TO||13"
	run body aborted
	assert_line --regexp '^Reason: +.*/nonexistent/sh'
}

@test "-m n and no -m: no mail; a later job's mail is the only one" {
	a=$(soca-submit -m n -M $MAILUSER -- true)
	b=$(soca-submit -M $MAILUSER -- sh -c 'exit 1')
	wait_state "$a" done
	wait_state "$b" failed
	# their runners gone, nothing else would mail them
	runner_gone "$a"
	runner_gone "$b"
	c=$(soca-submit -m e -M $MAILUSER -N last -- true)
	wait_state "$c" done
	wait_mails 1
	run mails
	assert_output "soca job $c (last): ended|$TO||13"
}

@test "no -M: the job's owner gets the mail" {
	command -v runuser >/dev/null || skip "runuser(1) is missing"
	T=$(mktemp -d /tmp/soca-mail.XXXXXX)
	chmod 0755 "$T"
	chown $MAILUSER: "$T"
	printf '[cluster]\nspool = %s/spool\n[mail]\nfrom = soca@example.com\n' "$T" >"$T/soca.conf"
	chmod 0644 "$T/soca.conf"
	id=$(cd "$T" && runuser -u $MAILUSER -- env HOME="$T" SOCA_CONF="$T/soca.conf" \
		PATH="$PATH" soca-submit -m e -N mine -- true)
	SOCA_CONF=$T/soca.conf wait_state "$id" done
	wait_mails 1
	rm -rf "$T"
	run mails
	assert_output --regexp "^soca job $id \(mine\): ended\|$TO\|\|1[34]$"
}

@test "several -M addresses get one message; a bad one is refused at submission" {
	run soca-submit -m e -M "$MAILUSER,x@y" -- true
	assert_success
	wait_state "$output" done
	wait_mails 1
	run mails
	assert_output "soca job 1 (true): ended|$TO, x@y||13"
	refused '-M "a,b
Bcc: root": "b
Bcc: root" is not a mail address (user or user@host, of letters, digits and ._+-, not starting with -)' \
		-m e -M "a,b
Bcc: root" -- true
	refused '-M "-oQ/tmp": "-oQ/tmp" is not a mail address' -M -oQ/tmp -- true
	refused '-M "root@-x": "root@-x" is not a mail address' -M root@-x -- true
}

@test "a name with CR, LF and Bcc: in a record reaches no header" {
	printf '[cluster]\ndispatch = cron\n' >>soca.conf
	id=$(soca-submit -m e -M $MAILUSER -N placeholder -- true)
	rec=$BATS_TEST_TMPDIR/spool/queued/$id
	# a record written by hand (or by an older soca): the name holds CR,
	# an escaped LF and a header of its own
	sed -i 's/^name=placeholder$/name=x\r\\nBcc: root\\nX-Evil: 1/' "$rec"
	grep -q '^name=x.\\nBcc: root' "$rec"
	soca-node-up
	wait_state "$id" done
	wait_mails 1
	run mails
	assert_output "soca job $id (x  Bcc: root X-Evil: 1): ended|$TO||13"
	! grep -q '^X-Evil' "$MBOX"
	! grep -q '^Bcc' "$MBOX"
}

@test "an address spoilt in the record is checked again: no mail, counted" {
	printf '[cluster]\ndispatch = cron\n' >>soca.conf
	id=$(soca-submit -m e -M $MAILUSER -- true)
	rec=$BATS_TEST_TMPDIR/spool/queued/$id
	sed -i "s/^mail_users=.*/mail_users=$MAILUSER,-oQ\\/tmp/" "$rec"
	soca-node-up
	wait_state "$id" done
	# the count is written in place under a lock: wait for it, not the file
	n=150
	while [ "$(cat spool/mail.failed 2>/dev/null)" != 1 ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	assert_equal "$(cat spool/mail.failed)" 1
	[ ! -s "$MBOX" ]
}

@test "a mailer that fails never fails the job: logged and counted" {
	printf 'sendmail = /nonexistent/sendmail\n' >>soca.conf
	id=$(soca-submit -m abe -M $MAILUSER -- true)
	wait_state "$id" done
	run soca-stat -n -o exit "$id"
	assert_output 0
	n=150
	while [ "$(cat spool/mail.failed 2>/dev/null)" != 2 ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	assert_equal "$(cat spool/mail.failed)" 2
}

@test "soca-config check: [mail] from must be a mail address" {
	sed -i 's/^from = soca@example.com$/from = -oQ@example.com/' soca.conf
	run soca-config check
	assert_failure 2
	assert_output --partial 'from "-oQ@example.com": not a mail address'
}

# wait_file PATH: until it exists (15 s)
wait_file() {
	local n=150
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ -e "$1" ]
}

# runner_gone ID: until job ID's runner no longer holds its run lock
runner_gone() {
	local n=150
	while ! flock -n "$BATS_TEST_TMPDIR/spool/run/$1.lock" true 2>/dev/null &&
		[ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ $n -gt 0 ]
}
