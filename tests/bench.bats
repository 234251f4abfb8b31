#!/usr/bin/env bats
# The benchmark tools without the benchmarks: bench/compare on crafted
# results, bench/report.py's table and verdicts, and the usage of
# bench/run and the scripts.  The real benchmarks run only with make bench.

load lib/helper

setup() {
	soca_test_env
	B=$SOCA_SRCDIR/bench
	# old: a bench/run results file; new: JSON-lines records as a script's --json
	cat >old.json <<'EOF'
{"version": 1, "quick": true, "runs": 3, "seconds": 60,
 "machine": {"nproc": 2, "mem_total_kib": 24683652, "cpu": "test cpu",
  "kernel": "6.1.0", "loadavg_start": [0.5, 0.4, 0.3],
  "git_commit": "0123456789abcdef", "git_dirty": false,
  "date": "2026-11-25T00:00:00Z"},
 "figures": [
  {"bench": "aws", "figure": "signatures/s", "unit": "sig/s",
   "soca": [100, 110, 90], "anchor_name": "botocore", "anchor": [5, 5, 5],
   "better": "higher", "goal": ">= 20x botocore", "goal_ratio": 20},
  {"bench": "jobs", "figure": "list 10000 queued jobs", "unit": "ms",
   "soca": [100, 100, 100], "anchor_name": "squeue", "anchor": [300],
   "better": "lower", "goal": ">= 5x faster", "goal_ratio": 5},
  {"bench": "jobs", "figure": "submissions/s", "unit": "/s",
   "soca": [80, 81, 82], "better": "higher", "goal": ""},
  {"bench": "jobs", "figure": "gone", "unit": "ms", "soca": [1],
   "better": "lower", "goal": ""}],
 "notes": []}
EOF
	cat >new.json <<'EOF'
{"bench":"aws","figure":"signatures/s","unit":"sig/s","soca":[150,140,160],"anchor_name":"botocore","anchor":[5],"better":"higher","goal":">= 20x botocore","goal_ratio":20}
{"bench":"jobs","figure":"list 10000 queued jobs","unit":"ms","soca":[150,140,160],"anchor_name":"squeue","anchor":[300],"better":"lower","goal":">= 5x faster","goal_ratio":5}
{"bench":"jobs","figure":"submissions/s","unit":"/s","soca":[84],"better":"higher","goal":""}
{"bench":"ec2","figure":"fresh","unit":"s","soca":[2],"better":"lower","goal":"< 1 s","goal_value":1}
{"bench":"ec2","figure":"drain","unit":"/s","soca":[1.9,2,1.8],"better":"higher","goal":">= 1.9/s","goal_value":1.9}
{"bench":"jobs","note":"took 12 s"}
EOF
}

@test "compare: better, worse, same and one-sided figures; exit 1 when worse" {
	run "$B/compare" old.json new.json
	assert_failure 1
	assert_line --regexp '^old machine: 2 cpus \(test cpu\), 23\.5 GiB, Linux 6\.1\.0, load 0\.50 0\.40 0\.30 at start; commit 0123456789ab; .*quick run in 60 s$'
	assert_line --regexp '^aws: signatures/s +100 sig/s +150 sig/s +\+50\.0% +better$'
	assert_line --regexp '^jobs: list 10000 queued jobs +100 ms +150 ms +\+50\.0% +WORSE$'
	assert_line --regexp '^jobs: submissions/s +81\.0 /s +84\.0 /s +\+3\.7% +same$'
	assert_line --regexp '^jobs: gone +1\.00 ms +- +only in old$'
	assert_line --regexp '^ec2: fresh +- +2\.00 s +only in new$'
	assert_line "1 figure worse by more than 10%"
}

@test "compare: a wider threshold turns changes into same, exit 0" {
	run "$B/compare" -t 60 old.json new.json
	assert_success
	assert_line --regexp '^jobs: list 10000 queued jobs .* \+50\.0% +same$'
	refute_output --partial WORSE
}

@test "compare: the reverse direction flips the verdicts" {
	run "$B/compare" new.json old.json
	assert_failure 1
	assert_line --regexp '^aws: signatures/s .* -33\.3% +WORSE$'
	assert_line --regexp '^jobs: list 10000 queued jobs .* -33\.3% +better$'
}

@test "compare: usage and unreadable files exit 2 with one message" {
	run "$B/compare" old.json
	assert_failure 2
	assert_output --partial "usage: bench/compare"
	run "$B/compare" -t fast old.json new.json
	assert_failure 2
	assert_output "bench/compare: -t: 'fast' is not a percentage (a number >= 0, e.g. -t 10)"
	run "$B/compare" missing.json new.json
	assert_failure 2
	assert_output "bench/compare: missing.json: No such file or directory"
	printf '{"bench":"x","figure":"y"}\nnot json\n' >bad.json
	run "$B/compare" bad.json new.json
	assert_failure 2
	assert_output --regexp '^bench/compare: bad\.json:2: not JSON: '
	: >empty.json
	run "$B/compare" old.json empty.json
	assert_failure 2
	assert_output --partial "empty.json: no figures"
	run "$B/compare" --help
	assert_success
	assert_output "usage: bench/compare [-t PCT] OLD.json NEW.json"
}

@test "report: median [min-max], ratio in the figure's direction, verdict" {
	run /usr/bin/python3 "$B/report.py" table new.json
	assert_success
	assert_line --index 0 --regexp '^figure +soca median \[min-max\] +anchor \(same run\) +ratio +goal$'
	assert_line --regexp '^signatures/s +150 sig/s \[140-160\] +botocore: 5\.00 sig/s +30\.00x +>= 20x botocore +met$'
	assert_line --regexp '^list 10000 queued jobs +150 ms \[140-160\] +squeue: 300 ms +2\.00x +>= 5x faster +MISSED$'
	assert_line --regexp '^fresh +2\.00 s +- +- +< 1 s +MISSED$'
	assert_line --regexp '^drain +1\.90 /s \[1\.80-2\.00\] +- +- +>= 1\.9/s +met$'
	assert_line "note: jobs: took 12 s"
}

@test "report: assemble writes one results file compare reads back" {
	/usr/bin/python3 "$B/report.py" header 1 2 >header.json
	run /usr/bin/python3 "$B/report.py" assemble header.json 7 out.json new.json
	assert_success
	assert_line --regexp '^machine: [0-9]+ cpus .* quick run in 7\.0 s$'
	run /usr/bin/python3 -c 'import json, sys
d = json.load(open("out.json"))
print(d["version"], d["quick"], d["runs"], len(d["figures"]), len(d["notes"]),
      d["figures"][0]["soca_stats"]["median"], d["figures"][0]["ratio"],
      sorted(d["machine"]))'
	assert_success
	assert_output "1 True 2 5 1 150 30.0 ['cpu', 'date', 'git_commit', 'git_dirty', 'kernel', 'loadavg_start', 'mem_total_kib', 'nproc', 'os']"
	run "$B/compare" out.json new.json
	assert_success
}

@test "bench/run: --help, and usage errors exit 2 before running anything" {
	run "$B/run" --help
	assert_success
	assert_line --index 0 --partial "usage: bench/run [--quick] [--json FILE] [--runs N] [--only NAME]"
	run "$B/run" --bogus
	assert_failure 2
	assert_line --index 0 "bench/run: unknown argument: --bogus"
	run "$B/run" --runs 0
	assert_failure 2
	assert_output "bench/run: --runs: '0' is not a positive whole number"
	run "$B/run" --only nosuch
	assert_failure 2
	assert_output "bench/run: --only: no benchmark 'nosuch' (aws jobs nodes ec2 slurm desktop archive index)"
	SOCA_BUILDDIR=$BATS_TEST_TMPDIR run "$B/run" --no-setup
	assert_failure 2
	assert_output --partial "no built soca in"
}

@test "bench scripts: --help and bad --runs" {
	run "$B/aws" --help
	assert_success
	assert_output --partial "[--quick] [--runs N] [--json FILE]"
	run "$B/jobs.sh" --runs x
	assert_failure 2
	assert_output --partial "--runs: 'x' is not a positive whole number"
}

@test "lib.sh: record writes the JSON line report.py reads" {
	run bash -c '. "$1/lib.sh"; json=$PWD/r.json
		record t "a \"quoted\" figure" ms lower "< 5 ms" 5 "1.5 2 -" squeue "3 4"
		record t "rate" /s higher ">= 2x" 2x "10"
		record t "plain" MiB lower "" "" "7"
		note t "a note"' _ "$B"
	assert_success
	assert_output "t: a note"
	run /usr/bin/python3 -c 'import json
for l in open("r.json"): print(json.dumps(json.loads(l), sort_keys=True))'
	assert_success
	assert_line --index 0 '{"anchor": [3, 4], "anchor_name": "squeue", "bench": "t", "better": "lower", "figure": "a \"quoted\" figure", "goal": "< 5 ms", "goal_value": 5, "soca": [1.5, 2], "unit": "ms"}'
	assert_line --index 1 '{"bench": "t", "better": "higher", "figure": "rate", "goal": ">= 2x", "goal_ratio": 2, "soca": [10], "unit": "/s"}'
	assert_line --index 2 '{"bench": "t", "better": "lower", "figure": "plain", "goal": "", "soca": [7], "unit": "MiB"}'
	assert_line --index 3 '{"bench": "t", "note": "a note"}'
	run /usr/bin/python3 "$B/report.py" table r.json
	assert_success
	assert_line --regexp '^a "quoted" figure +1\.75 ms \[1\.50-2\.00\] +squeue: 3\.50 ms \[3\.00-4\.00\] +2\.00x +< 5 ms +met$'
}

@test "report: goals written as bench/ec2 writes them get a verdict" {
	cat >e.json <<'EOT'
{"bench":"ec2","figure":"calls per job","unit":"calls","soca":[1.0],"better":"lower","goal":"soca == 1"}
{"bench":"ec2","figure":"latency","unit":"ms","soca":[1200,900,1100],"better":"lower","goal":"soca < 1000"}
{"bench":"ec2","figure":"cycle","unit":"s","soca":[10],"anchor_name":"cli","anchor":[400],"better":"lower","goal":"anchor/soca >= 50"}
{"bench":"ec2","figure":"drain","unit":"/s","soca":[1.898],"anchor_name":"refill","anchor":[2.0],"better":"higher","goal":"soca/anchor >= 0.95"}
{"bench":"ec2","figure":"sweeps","unit":"calls","soca":[1],"better":"lower","goal":"soca == ceil(N/1000)"}
EOT
	run /usr/bin/python3 "$B/report.py" table e.json
	assert_success
	assert_line --regexp '^calls per job .* soca == 1 +met$'
	assert_line --regexp '^latency +1,100 ms \[900-1,200\] .* soca < 1000 +MISSED$'
	assert_line --regexp '^cycle .* 40\.00x +anchor/soca >= 50 +MISSED$'
	assert_line --regexp '^drain .* 0\.95x +soca/anchor >= 0\.95 +MISSED$'
	assert_line --regexp '^sweeps .* soca == ceil\(N/1000\)$'
}
