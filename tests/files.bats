#!/usr/bin/env bats
# soca-files: file operations confined to the caller's home.  Most tests
# name a scratch "home" with -C; the last ones run as another user
# (socatest-files-x), in its own home from the passwd database, where the
# kernel's permissions are the only ones.

load lib/helper

setup() {
	soca_test_env
	OUT=$BATS_TEST_TMPDIR/outside
	mkdir -p "$OUT/dir"
	echo secret >"$OUT/dir/keep"
	export H=$BATS_TEST_TMPDIR/h	# the base: a "home" with nothing else in it
	mkdir "$H"
	cd "$H" || return 1
}

f() {
	soca-files -C "$H" "$@"
}

@test "ls: entries sorted by name with type, size, UTC mtime and octal mode; links as links" {
	printf 'abc' >b.txt
	mkdir a
	ln -s b.txt c
	chmod 0640 b.txt
	touch -d '2026-01-02 03:04:05 UTC' b.txt
	run f ls -n
	assert_success
	assert_line --index 0 --regexp '^a +dir +[0-9]+ +[0-9T:Z-]+ +0755$'
	assert_line --index 1 --regexp '^b\.txt +file +3 +2026-01-02T03:04:05Z +0640$'
	assert_line --index 2 --regexp '^c +link +5 '
	assert_equal "${#lines[@]}" 3
	run f ls -J
	assert_success
	assert_line --index 1 '{"name":"b.txt","type":"file","size":3,"mtime":"2026-01-02T03:04:05Z","mode":"0640"}'
	run f ls --csv -o name,type
	assert_output $'name,type\na,dir\nb.txt,file\nc,link'
}

@test "ls on a file gives its one entry; on a subdirectory its entries; stat shows a link as itself" {
	mkdir -p d/e
	echo x >d/f
	ln -s d dl
	run f ls -n -o name,type d/f
	assert_success
	assert_output --regexp '^d/f +file$'
	run f ls -n -o name d
	assert_output $'e\nf'
	run f ls -n -o name dl
	assert_output $'e\nf'
	run f stat -J -o name,type dl
	assert_output '{"name":"dl","type":"link"}'
	run f stat -n -o type .
	assert_output dir
	run f ls -n -o name nothing
	assert_failure 1
	assert_output "soca-files: nothing: not found"
}

@test "cat: a regular file's bytes; a directory or a FIFO is refused" {
	printf 'one\ntwo\0three' >data
	run bash -c 'soca-files -C "$H" cat data | od -c'
	assert_output "$(printf 'one\ntwo\0three' | od -c)"
	mkdir d
	run f cat d
	assert_failure 2
	assert_output "soca-files: d: is a directory"
	mkfifo fifo
	run timeout 10 soca-files -C "$H" cat fifo
	assert_failure 2
	assert_output "soca-files: fifo: not a regular file"
}

@test "put: stdin to a new file; an existing one stays without -f; -f replaces it keeping its mode" {
	run f put new <<<"hello"
	assert_success
	assert_equal "$(cat new)" hello
	chmod 0600 new
	run f put new <<<"other"
	assert_failure 1
	assert_output "soca-files: new: exists (-f replaces it)"
	assert_equal "$(cat new)" hello
	run f put -f new <<<"other"
	assert_success
	assert_equal "$(cat new)" other
	assert_equal "$(stat -c %a new)" 600
	run ls -A
	assert_output new
}

@test "put --max: more bytes than allowed exits 2 and leaves nothing behind" {
	run bash -c 'head -c 300000 /dev/zero | soca-files -C "$H" put --max 100K big'
	assert_failure 2
	assert_output "soca-files: big: more than --max bytes; nothing written"
	run ls -A
	assert_output ""
	run bash -c 'head -c 102400 /dev/zero | soca-files -C "$H" put --max 100K big'
	assert_success
	assert_equal "$(stat -c %s big)" 102400
	run f put --max 0 x </dev/null
	assert_failure 2
	assert_output --partial "--max 0: not a size"
}

@test "put killed while it reads: its temporary file goes with it" {
	local pid n=100 st=0
	mkfifo "$BATS_TEST_TMPDIR/in"
	soca-files -C "$H" put slow <"$BATS_TEST_TMPDIR/in" &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	echo partial >&4
	# wait (up to 10s) for the hidden temporary file to exist
	while [ "$n" -gt 0 ] && [ -z "$(ls -A)" ]; do
		sleep 0.1
		n=$((n - 1))
	done
	run ls -A
	assert_output --regexp '^\.soca-put\.[0-9a-f]{16}$'
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143	# killed by SIGTERM, as it should be
	exec 4>&-
	run ls -A
	assert_output ""
}

@test "put -f onto a symlink replaces the link, never what it points to" {
	ln -s "$OUT/dir/keep" lnk
	run f put -f lnk <<<"mine"
	assert_success
	assert [ ! -L lnk ]
	assert_equal "$(cat lnk)" mine
	assert_equal "$(cat "$OUT/dir/keep")" secret
}

@test "mkdir, rm of a file and of an empty directory; a full one needs -r" {
	run f mkdir d
	assert_success
	assert [ -d d ]
	run f mkdir d
	assert_failure 1
	assert_output "soca-files: d: exists"
	echo x >d/f
	run f rm d
	assert_failure 1
	assert_output "soca-files: d: not empty (rm -r removes a tree)"
	run f rm d/f
	assert_success
	run f rm d
	assert_success
	mkdir -p t/u/v
	touch t/u/v/w t/x
	run f rm -r t
	assert_success
	run ls -A
	assert_output ""
	run f rm t
	assert_failure 1
	assert_output "soca-files: t: not found"
}

@test "rm -r does not follow a symlink to a directory outside: the link goes, the target stays" {
	mkdir -p tree/sub
	ln -s "$OUT/dir" tree/sub/out
	ln -s "$OUT/dir" tree/out2
	run f rm -r tree
	assert_success
	assert [ ! -e tree ]
	assert_equal "$(cat "$OUT/dir/keep")" secret
}

@test "mv renames; onto an existing name it is refused and both stay" {
	echo 1 >a
	echo 2 >b
	mkdir d
	run f mv a d/a2
	assert_success
	assert_equal "$(cat d/a2)" 1
	run f mv b d/a2
	assert_failure 1
	assert_output "soca-files: d/a2: exists (mv never replaces)"
	assert_equal "$(cat b)" 2
	assert_equal "$(cat d/a2)" 1
	run f mv nothing x
	assert_failure 1
	assert_output "soca-files: nothing: not found"
}

@test "refused paths: .., absolute, empty components, control characters, too long" {
	run f ls ..
	assert_failure 2
	assert_output "soca-files: ..: .. component (paths may not climb out of your home)"
	run f cat a/../../etc/passwd
	assert_failure 2
	assert_output --partial ".. component"
	run f cat /etc/passwd
	assert_failure 2
	assert_output "soca-files: /etc/passwd: absolute path (paths are relative to your home)"
	run f mkdir a//b
	assert_failure 2
	assert_output --partial "empty component"
	run f rm .
	assert_failure 2
	assert_output "soca-files: .: names your home itself"
	run f mkdir $'a\nb'
	assert_failure 2
	assert_output 'soca-files: a\nb: contains a control character'
	run f put "$(printf 'x%.0s' {1..256})" </dev/null
	assert_failure 2
	assert_output --partial "component longer than 255 bytes"
	run f ls "$(printf 'abcd/%.0s' {1..820})x"
	assert_failure 2
	assert_output --partial "longer than 4095 bytes"
	run ls -A
	assert_output ""
}

@test "a NUL never reaches a path: the shell cuts \$'a\\0b' at it (execve takes C strings)" {
	# the library refuses a NUL inside a path's length (tests/unit
	# t_files.c, for callers such as the web door); a command line
	# cannot carry one, so soca-files sees "a" and nothing else
	echo x >ab
	run f cat $'a\0b'
	assert_failure 1
	assert_output "soca-files: a: not found"
}

@test "a symlink to /etc and a directory symlink climbing out leave the home" {
	ln -s /etc etc
	mkdir d
	ln -s ../.. d/up
	run f cat etc/passwd
	assert_failure 2
	assert_output "soca-files: etc/passwd: leaves your home (a symbolic link on the way points outside it, or to an absolute path)"
	run f ls etc
	assert_failure 2
	assert_output --partial "etc: leaves your home"
	run f ls d/up
	assert_failure 2
	assert_output --partial "d/up: leaves your home"
	run f put d/up/x </dev/null
	assert_failure 2
	assert_output --partial "d/up/x: leaves your home"
	run f mkdir etc/soca-files-test
	assert_failure 2
	assert [ ! -e /etc/soca-files-test ]
	# inside the home a relative link is read through
	echo in >d/f
	ln -s f d/lf
	run f cat d/lf
	assert_success
	assert_output in
}

@test "usage: unknown command, options of another command, missing path" {
	run soca-files frob
	assert_failure 2
	assert_output --partial "frob: not a command"
	run f cat -r x
	assert_failure 2
	assert_output --partial "usage:"
	run f mv a
	assert_failure 2
	run soca-files -h
	assert_success
	assert_output --partial "usage: soca-files"
}

# ---- as another user: its home from passwd, the kernel's permissions ----

multiuser() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, runuser)"
	command -v runuser >/dev/null || skip "runuser(1) is missing"
	U=socatest-files-x
	T=$(mktemp -d /tmp/soca-files.XXXXXX)
	chmod 0755 "$T"
	id $U >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh $U
	usermod -d "$T/home" $U
	mkdir "$T/home"
	chown $U: "$T/home"
	chmod 0700 "$T/home"
	# the build tree may be closed to others: a copy they can run
	mkdir "$T/bin"
	cp "$SOCA_BUILDDIR/bin/soca-files" "$T/bin/"
}

as_x() {
	(cd / && runuser -u "$U" -- env PATH="$T/bin:/usr/bin:/bin" "$@")
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

@test "as another user: its home comes from passwd, not \$HOME" {
	multiuser
	as_x sh -c 'echo hi | soca-files put note'
	run as_x env HOME=/tmp soca-files ls -n -o name,type
	assert_success
	assert_output --regexp '^note +file$'
	assert_equal "$(stat -c %U "$T/home/note")" "$U"
	run as_x soca-files cat note
	assert_output hi
}

@test "as another user: someone else's 0700 directory is refused by the kernel, said plainly" {
	multiuser
	mkdir "$T/home/rootonly"
	echo s >"$T/home/rootonly/f"
	chmod 0700 "$T/home/rootonly"
	run as_x soca-files ls rootonly
	assert_failure 1
	assert_output "soca-files: rootonly: permission denied (the kernel refused it: the file's owner and mode do not allow you)"
	run as_x soca-files cat rootonly/f
	assert_failure 1
	assert_output --partial "rootonly/f: permission denied"
	run as_x sh -c 'echo x | soca-files put rootonly/g'
	assert_failure 1
	assert_output --partial "permission denied"
	assert [ ! -e "$T/home/rootonly/g" ]
	run as_x soca-files rm -r rootonly
	assert_failure 1
	assert_output --partial "permission denied"
	assert [ -e "$T/home/rootonly/f" ]
}
