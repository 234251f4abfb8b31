<powershell>
# soca remote desktop bootstrap for Windows: EC2 user data, rendered per
# desktop by soca-desktop launch from [desktop] windows_user_data (this
# file) for images whose [desktop_image] os is windows.  Every %%NAME%% is
# replaced by a PowerShell single-quoted value (' doubled inside), so no
# value is ever expanded.  It joins the directory (or creates the owner as
# a local user), mounts the shared filesystem with the NFS client,
# installs or checks NICE DCV server, makes the owner the console
# session's owner in DCV's configuration, and registers the report task
# with the Task Scheduler.  Every step is idempotent; the script runs
# under Windows PowerShell 5.1 (no && or ||, no ternary).
$ErrorActionPreference = 'Stop'
$SocaCluster = %%CLUSTER%%
$SocaConf = %%CONF%%
$SocaFs = %%SHARED_FS%%
$SocaMnt = %%SHARED_FS_MOUNT%%
$SocaSpool = %%SPOOL%%
$SocaOwner = %%OWNER%%
$SocaSession = %%SESSION%%
$SocaDomain = %%WINDOWS_DOMAIN%%
$SocaDcvPort = %%DCV_PORT%%
$SocaDcvUrlPath = %%DCV_URL_PATH%%
$SocaDir = 'C:\ProgramData\soca'

function Write-SocaLog {
	param([string]$Message)
	Write-Output ('soca-desktop user data: ' + $Message)
}

New-Item -ItemType Directory -Force -Path $SocaDir | Out-Null

# the owner: a member of the directory when the instance joins one (the
# image or an SSM association joins it), else a local user whose random
# password is never written anywhere (an admin resets it for the owner)
if ($SocaDomain -ne '') {
	$cs = Get-CimInstance -ClassName Win32_ComputerSystem
	if (-not $cs.PartOfDomain) {
		Write-SocaLog ('not joined to ' + $SocaDomain + ': join it (AWS Directory Service seamless join) and reboot')
		exit 1
	}
	$SocaLogin = $SocaDomain + '\' + $SocaOwner
} else {
	if (-not (Get-LocalUser -Name $SocaOwner -ErrorAction SilentlyContinue)) {
		Add-Type -AssemblyName System.Web
		$pw = ConvertTo-SecureString ([System.Web.Security.Membership]::GeneratePassword(24, 4)) -AsPlainText -Force
		New-LocalUser -Name $SocaOwner -Password $pw -PasswordNeverExpires -Description ('soca desktop owner, cluster ' + $SocaCluster) | Out-Null
		Remove-Variable -Name pw
		Add-LocalGroupMember -Group 'Remote Desktop Users' -Member $SocaOwner -ErrorAction SilentlyContinue
	}
	$SocaLogin = $SocaOwner
}

# the shared filesystem through the NFS client: HOST:/PATH as \\HOST\PATH
$SocaDrive = 'S:'
if ($SocaFs -ne '') {
	if (-not (Get-WindowsFeature -Name NFS-Client).Installed) {
		Install-WindowsFeature -Name NFS-Client | Out-Null
	}
	if (-not (Test-Path ($SocaDrive + '\'))) {
		$parts = $SocaFs.Split(':', 2)
		$unc = '\\' + $parts[0] + ($parts[1] -replace '/', '\')
		& mount.exe -o 'anon,nolock,mtype=hard' $unc $SocaDrive | Out-Null
	}
}

# NICE DCV server (no license server on EC2: the instance role must read
# s3://dcv-license.REGION/*)
$dcv = 'C:\Program Files\NICE\DCV\Server\bin\dcv.exe'
if (-not (Get-Service -Name dcvserver -ErrorAction SilentlyContinue)) {
	$msi = Join-Path $env:TEMP 'nice-dcv-server.msi'
	Invoke-WebRequest -UseBasicParsing -Uri 'https://d1uj6qtbmh3dt5.cloudfront.net/nice-dcv-server-x64-Release.msi' -OutFile $msi
	$p = Start-Process -FilePath 'msiexec.exe' -ArgumentList @('/i', $msi, '/quiet', '/norestart', ('AUTOMATIC_SESSION_OWNER=' + $SocaLogin)) -Wait -PassThru
	if ($p.ExitCode -ne 0) {
		Write-SocaLog ('NICE DCV server did not install: msiexec exit ' + $p.ExitCode)
		exit 1
	}
	Remove-Item -Force $msi
}
if (-not (Get-Service -Name dcvserver -ErrorAction SilentlyContinue)) {
	Write-SocaLog 'NICE DCV is not installed'
	exit 1
}

# DCV's configuration (the registry): the owner's console session, the
# port, system authentication
$gs = 'Registry::HKEY_USERS\S-1-5-18\Software\GSettings\com\nicesoftware\dcv'
foreach ($k in @('session-management', 'session-management\automatic-console-session', 'connectivity', 'security')) {
	New-Item -Force -Path (Join-Path $gs $k) | Out-Null
}
New-ItemProperty -Force -Path (Join-Path $gs 'session-management') -Name 'create-session' -PropertyType DWord -Value 1 | Out-Null
New-ItemProperty -Force -Path (Join-Path $gs 'session-management\automatic-console-session') -Name 'owner' -PropertyType String -Value $SocaLogin | Out-Null
New-ItemProperty -Force -Path (Join-Path $gs 'connectivity') -Name 'web-port' -PropertyType DWord -Value ([int]$SocaDcvPort) | Out-Null
New-ItemProperty -Force -Path (Join-Path $gs 'connectivity') -Name 'web-url-path' -PropertyType String -Value $SocaDcvUrlPath | Out-Null
New-ItemProperty -Force -Path (Join-Path $gs 'connectivity') -Name 'idle-timeout' -PropertyType DWord -Value 0 | Out-Null
New-ItemProperty -Force -Path (Join-Path $gs 'security') -Name 'authentication' -PropertyType String -Value 'system' | Out-Null
Restart-Service -Name dcvserver

# the report: the console session's facts and the load into the shared
# spool (desktop/report/INSTANCE-ID, the format soca-desktop report
# writes), every 5 minutes from the Task Scheduler
$report = @'
$ErrorActionPreference = 'Stop'
$dir = Get-Content -Raw -Path 'C:\ProgramData\soca\report-dir'
$dir = $dir.Trim()
$tok = Invoke-RestMethod -Method Put -Uri 'http://169.254.169.254/latest/api/token' -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '60' }
$iid = Invoke-RestMethod -Uri 'http://169.254.169.254/latest/meta-data/instance-id' -Headers @{ 'X-aws-ec2-metadata-token' = $tok }
$now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
$lines = @(('time ' + $now))
$out = & 'C:\Program Files\NICE\DCV\Server\bin\dcv.exe' describe-session console -j 2>$null
if ($LASTEXITCODE -eq 0) {
	$s = ($out -join "`n") | ConvertFrom-Json
	$last = 0
	if ($s.'last-disconnection-time') {
		$last = ([DateTimeOffset]::Parse($s.'last-disconnection-time')).ToUnixTimeSeconds()
	}
	$lines += 'dcv 1'
	$lines += ('connections ' + [int]$s.'num-of-connections')
	$lines += ('last_disconnect ' + $last)
	$lines += ('created ' + ([DateTimeOffset]::Parse($s.'creation-time')).ToUnixTimeSeconds())
} else {
	$lines += 'dcv 0'
}
$cpu = (Get-CimInstance -ClassName Win32_Processor | Measure-Object -Property LoadPercentage -Average).Average
$cores = (Get-CimInstance -ClassName Win32_ComputerSystem).NumberOfLogicalProcessors
$lines += ('load ' + [string]::Format([Globalization.CultureInfo]::InvariantCulture, '{0:F2}', ($cpu / 100.0) * $cores))
$gpu = -1
$smi = 'C:\Windows\System32\nvidia-smi.exe'
if (Test-Path $smi) {
	$g = & $smi '--query-gpu=utilization.gpu' '--format=csv,noheader,nounits'
	$gpu = ($g | Measure-Object -Maximum).Maximum
}
$lines += ('gpu ' + $gpu)
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$tmp = Join-Path $dir ('.' + $iid + '.tmp')
[IO.File]::WriteAllText($tmp, (($lines -join "`n") + "`n"))
Move-Item -Force -Path $tmp -Destination (Join-Path $dir $iid)
'@
Set-Content -Path (Join-Path $SocaDir 'report.ps1') -Value $report
$rdir = $SocaSpool
if ($SocaMnt -ne '' -and $SocaSpool.StartsWith($SocaMnt)) {
	$rdir = $SocaDrive + $SocaSpool.Substring($SocaMnt.Length)
}
$rdir = ($rdir -replace '/', '\') + '\desktop\report'
Set-Content -Path (Join-Path $SocaDir 'report-dir') -Value $rdir
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument ('-NoProfile -ExecutionPolicy Bypass -File ' + (Join-Path $SocaDir 'report.ps1'))
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(2) -RepetitionInterval (New-TimeSpan -Minutes 5)
Register-ScheduledTask -Force -TaskName 'soca-desktop-report' -Action $action -Trigger $trigger -User 'SYSTEM' -RunLevel Highest | Out-Null
Write-SocaLog ('desktop of ' + $SocaLogin + ' ready: console session, port ' + $SocaDcvPort)
</powershell>
