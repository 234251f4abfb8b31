#!/usr/bin/env bats
# desktop-windows.bats: Windows desktops -- images whose [desktop_image]
# os is windows get etc/desktop-user-data.ps1 rendered as PowerShell
# (every value single-quoted the PowerShell way), checked with what runs
# here without PowerShell: tests/lib/ps-check.py (balanced blocks outside
# strings, no bash-isms, nothing left unrendered) and the lines it must
# hold; and the per-OS limit.

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
	ME=$(id -un)
	win_conf
}

# win_conf [EXTRA [desktop] LINES...]
win_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\nspool = %s\n' \
		    "$SPOOL"
		printf '[aws]\nami = ami-0a1b2c3d4e5f60001\n'
		printf 'shared_fs = fs-1.efs.us-east-1.amazonaws.com:/\n'
		printf 'shared_fs_mount = %s\n' "$SPOOL_MNT"
		printf '[desktop]\n'
		printf 'images = al2023=ami-0a1b2c3d4e5f60002\n'
		printf 'allowed_types = t3\n'
		printf 'user_data = %s\n' "$SOCA_SRCDIR/etc/desktop-user-data.sh"
		printf 'windows_user_data = %s\n' \
		    "$SOCA_SRCDIR/etc/desktop-user-data.ps1"
		printf '%s\n' "$@"
		printf '[desktop_image "win2022"]\nami = ami-0a1b2c3d4e5f60005\n'
		printf 'os = windows\n'
	} >"$SOCA_CONF"
}

user_data_of() {	# user_data_of NAME: its rendered user data
	awsim_ctl GET state | jq -r --arg n "$1" '.instances[] |
	    select(.Tags["soca:DesktopName"] == $n) | .UserData' | base64 -d
}

@test "a Windows image gets the PowerShell user data, every value single-quoted" {
	# values an admin or a user could make hostile: quotes (the
	# typographic ones PowerShell also takes), $(...), backticks, ;
	SPOOL_MNT="/mnt/a'b\$(calc)\`x;‘y’" win_conf \
	    "windows_domain = corp'\$(Remove-Item C:\\ -Recurse)‛;\"x"
	run soca-desktop launch w1 -i win2022
	assert_success
	user_data_of w1 >ud.ps1
	[ "$(head -n 1 ud.ps1)" = "<powershell>" ]
	[ "$(tail -n 1 ud.ps1)" = "</powershell>" ]
	grep -qxF "\$SocaOwner = '$ME'" ud.ps1
	grep -qx "\\\$SocaSession = '[0-9a-f-]\{36\}'" ud.ps1
	grep -qxF "\$SocaCluster = 't1'" ud.ps1
	grep -qxF "\$SocaDcvPort = '8443'" ud.ps1
	grep -qxF "\$SocaDcvUrlPath = '/'" ud.ps1
	grep -qxF "\$SocaDomain = 'corp''\$(Remove-Item C:\\ -Recurse)‛‛;\"x'" ud.ps1
	grep -qxF "\$SocaMnt = '/mnt/a''b\$(calc)\`x;‘‘y’’'" ud.ps1
	# every rendered value: one PowerShell single-quoted string, whole
	run python3 - ud.ps1 <<'PY'
import re, sys
sq = "'\u2018\u2019\u201a\u201b"
val = re.compile("^[%s]([^%s]|[%s]{2})*[%s]$" % ((sq,) * 4))
bad = 0
for l in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^\$Soca[A-Za-z]+ = (.*)$", l.rstrip("\n"))
    if m and m.group(1) != "'C:\\ProgramData\\soca'" and not val.match(m.group(1)):
        print("not one quoted value:", l.strip())
        bad += 1
print("values checked")
sys.exit(1 if bad else 0)
PY
	assert_success
	# 10 rendered values and $SocaDir, $SocaDrive
	[ "$(grep -c '^\$Soca[A-Za-z]* = ' ud.ps1)" = 12 ]
	# well formed: balanced outside strings, no bash-isms, all rendered
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" ud.ps1
	assert_success
	assert_output ""
	# the steps it must take
	grep -q 'PartOfDomain' ud.ps1				# the directory
	grep -q '^		New-LocalUser -Name \$SocaOwner ' ud.ps1	# or a local user
	grep -q "Get-Service -Name dcvserver" ud.ps1		# DCV checked
	grep -q "msiexec.exe" ud.ps1				# or installed
	grep -q "'AUTOMATIC_SESSION_OWNER=' + \$SocaLogin" ud.ps1
	grep -q "automatic-console-session') -Name 'owner' -PropertyType String -Value \$SocaLogin" ud.ps1
	grep -q "Name 'web-port' -PropertyType DWord -Value (\[int\]\$SocaDcvPort)" ud.ps1
	grep -q "^Register-ScheduledTask -Force -TaskName 'soca-desktop-report'" ud.ps1
	grep -q "Install-WindowsFeature -Name NFS-Client" ud.ps1
	# a password is never written down
	! grep -qi 'password.*Set-Content\|Out-File' ud.ps1
	# the Linux image of the same configuration still gets the shell one
	run soca-desktop launch l1
	assert_success
	user_data_of l1 >ud.sh
	[ "$(head -n 1 ud.sh)" = "#!/bin/sh" ]
	run bash -n ud.sh
	assert_success
	# the EC2 tags say which OS
	run awsim_ctl GET state
	[ "$(jq -r '[.instances[] | .Tags["soca:DesktopOS"]] | sort | join(",")' <<<"$output")" = "linux,windows" ]
}

@test "ps-check fails on what it must catch" {
	printf '<powershell>\nif ($a) {\n' >open.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" open.ps1
	assert_failure 1
	assert_output --partial "{ never closed"
	printf 'Get-Item a && Get-Item b\n' >andand.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" andand.ps1
	assert_failure 1
	assert_output --partial "&& or ||"
	printf "\$x = 'it''s { fine'\n\$y = \"a \`\" } b\"\n# } in a comment\n" >ok.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" ok.ps1
	assert_success
	printf "\$x = 'open\n" >quote.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" quote.ps1
	assert_failure 1
	printf "\$h = @'\nif (\$a) {\n'@\n" >here.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" here.ps1
	assert_failure 1
	assert_output --partial "here-string"
	printf '$SocaOwner = %%%%OWNER%%%%\n' >raw.ps1
	run python3 "$SOCA_SRCDIR/tests/lib/ps-check.py" raw.ps1
	assert_failure 1
	assert_output --partial "unrendered"
}

@test "connect: a Windows desktop's session is DCV's console session" {
	soca-desktop launch w1 -i win2022
	awsim_advance 60
	run soca-desktop connect w1
	assert_success
	assert_line --index 1 --regexp '^https://localhost:8443/#console$'
}

@test "the per-OS limit applies to Windows images" {
	win_conf 'max_windows_per_user = 1'
	run soca-desktop launch w1 -i win2022
	assert_success
	run soca-desktop launch w2 -i win2022
	assert_failure 1
	assert_output --partial "has 1 Windows desktops, [desktop] max_windows_per_user is 1"
	run soca-desktop launch l1
	assert_success
}
