#!/usr/bin/env bats
# The project's own conventions: man pages lint clean, shell scripts pass
# shellcheck, completions load, every command has its page and completions,
# every soca.conf key is documented.

load lib/helper

@test "man pages pass mandoc -Tlint" {
	run mandoc -Tlint -W warning "$SOCA_SRCDIR"/man/*.[1578]
	assert_success
	assert_output ""
}

# programs nobody types at a shell, so with no completion: CGI programs
# (their page is in section 8)
NOT_TYPED="soca-api"

@test "every command has a man page and bash and zsh completions" {
	local c cmd missing=
	for c in "$SOCA_SRCDIR"/bin/soca-*.c "$SOCA_SRCDIR"/bin/q*.c qrls; do
		cmd=$(basename "$c" .c)
		if [[ " $NOT_TYPED " == *" $cmd "* ]]; then
			[ -f "$SOCA_SRCDIR/man/$cmd.8" ] || missing+=" man/$cmd.8"
			continue
		fi
		[ -f "$SOCA_SRCDIR/man/$cmd.1" ] || missing+=" man/$cmd.1"
		[ -f "$SOCA_SRCDIR/completions/bash/$cmd" ] || missing+=" completions/bash/$cmd"
		[ -f "$SOCA_SRCDIR/completions/zsh/_$cmd" ] || missing+=" completions/zsh/_$cmd"
	done
	assert_equal "$missing" ""
}

@test "every soca.conf key is documented in soca.conf(5)" {
	local k missing=
	for k in $(soca-config keys | cut -f1 | sed 's/.*\.//'); do
		grep -qx "\.It Cm $k" "$SOCA_SRCDIR/man/soca.conf.5" || missing+=" $k"
	done
	assert_equal "$missing" ""
}

@test "shell scripts pass shellcheck" {
	command -v shellcheck || skip "shellcheck is not installed"
	local f files=()
	for f in "$SOCA_SRCDIR"/tests/setup-deps "$SOCA_SRCDIR"/tests/quickstart \
		"$SOCA_SRCDIR"/tests/ci "$SOCA_SRCDIR"/.ci/run "$SOCA_SRCDIR"/fuzz/run \
		"$SOCA_SRCDIR"/bench/run "$SOCA_SRCDIR"/tests/lib/*.bash \
		"$SOCA_SRCDIR"/tests/gauntlet/run "$SOCA_SRCDIR"/tests/gauntlet/lib.bash \
		"$SOCA_SRCDIR"/tests/gauntlet/spool-chaos "$SOCA_SRCDIR"/tests/gauntlet/aws-chaos \
		"$SOCA_SRCDIR"/tests/gauntlet/disk-full "$SOCA_SRCDIR"/tests/gauntlet/ldap-down \
		"$SOCA_SRCDIR"/tests/gauntlet/bad-input; do
		[ -f "$f" ] && files+=("$f")
	done
	for f in "$SOCA_SRCDIR"/bench/aws "$SOCA_SRCDIR"/bench/jobs.sh \
		"$SOCA_SRCDIR"/bench/lib.sh "$SOCA_SRCDIR"/bench/nodes \
		"$SOCA_SRCDIR"/bench/ec2 "$SOCA_SRCDIR"/bench/archive \
		"$SOCA_SRCDIR"/bench/web; do
		[ -f "$f" ] && files+=("$f")
	done
	run shellcheck -s bash -e SC1090,SC1091,SC2034,SC2154 "${files[@]}"
	assert_success
}

@test "bash completions load and complete" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash -c '
		. /usr/share/bash-completion/bash_completion
		for f in "$1"/completions/bash/*; do . "$f" || exit 1; done
		COMP_WORDS=(soca-config ch); COMP_CWORD=1; COMP_LINE="soca-config ch"; COMP_POINT=14
		_soca_config soca-config ch soca-config
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SOCA_SRCDIR"
	assert_success
	assert_output "check"
}

@test "zsh completions load" {
	command -v zsh || skip "zsh is not installed"
	run zsh -f -c '
		fpath=("$1/completions/zsh" $fpath)
		autoload -Uz compinit && compinit -u -D
		for f in "$1"/completions/zsh/_*; do
			autoload -Uz "${f:t}" || exit 1
			(( $+functions[${f:t}] )) || exit 1
		done
		print ok' _ "$SOCA_SRCDIR"
	assert_success
	assert_output "ok"
}
