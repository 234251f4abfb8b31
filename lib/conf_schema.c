/*
 * conf_schema.c: every section and key soca.conf(5) knows, with its type,
 * default and one line of meaning.  This table drives parsing, checking,
 * `soca-config show` and the completion; soca.conf(5) documents the same
 * keys in prose.  Queue sections also hold the defaults of job resources,
 * so the resource keys here are the ones soca-submit -l accepts.
 *
 * Each issue that adds keys adds them to its section's array only.
 */
#include "config.h"

#include <string.h>

#include "soca.h"

#define END { NULL, 0, NULL, NULL, 0, 0, NULL }

static const struct soca_key cluster_keys[] = {
	{ "name", SOCA_T_STRING, "soca", NULL, 0, 0,
	    "cluster id: tags every instance (soca:ClusterId)" },
	{ "provider", SOCA_T_ENUM, "local", "local|aws", 0, 0,
	    "where capacity comes from" },
	{ "scheduler", SOCA_T_ENUM, "soca", "soca|slurm", 0, 0,
	    "who schedules: soca's own dispatcher, or Slurm (soca as its "
	    "cloud capacity)" },
	{ "slurm_conf", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "scheduler = slurm: the slurm.conf soca-config check compares "
	    "(else $SLURM_CONF, else /etc/slurm/slurm.conf)" },
	{ "spool", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "job store (default: $XDG_STATE_HOME/soca, per user)" },
	{ "dispatch", SOCA_T_ENUM, "immediate", "immediate|cron", 0, 0,
	    "immediate: soca-submit starts soca-node-up; cron: wait for cron" },
	{ "default_queue", SOCA_T_STRING, "normal", NULL, 0, 0,
	    "queue of jobs that name none" },
	{ "admin_group", SOCA_T_STRING, "soca-admins", NULL, 0, 0,
	    "members may change any job" },
	{ "slots", SOCA_T_INT, NULL, NULL, 1, 100000,
	    "local provider: jobs at once on this host (default: cores)" },
	{ "max_script_size", SOCA_T_SIZE, "1M", NULL, 0, 0,
	    "largest job script accepted" },
	{ "max_array_size", SOCA_T_INT, "10000", NULL, 1, 10000000,
	    "most subjobs in one job array (-J), as PBS's server attribute" },
	{ "kill_grace", SOCA_T_DURATION, "10s", NULL, 0, 0,
	    "soca-del: SIGTERM, then SIGKILL after this long" },
	{ "fsync", SOCA_T_BOOL, "yes", NULL, 0, 0,
	    "spool: fsync every change (no: faster, a power cut may lose "
	    "the latest)" },
	{ "launch_timeout", SOCA_T_DURATION, "60s", NULL, 0, 0,
	    "soca-node-down: a job provisioning this long with no runner "
	    "is requeued" },
	END
};

static const struct soca_key aws_keys[] = {
	{ "region", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "region, when AWS_REGION and the profile name none" },
	{ "profile", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "profile of the shared config and credentials files" },
	{ "endpoint_url", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "endpoint for every service, after AWS_ENDPOINT_URL*" },
	{ "ca_file", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "CA bundle for TLS verification" },
	{ "max_attempts", SOCA_T_INT, "3", NULL, 1, 20,
	    "attempts per call, first included (standard retry mode)" },
	{ "connect_timeout", SOCA_T_DURATION, "10s", NULL, 0, 0,
	    "TCP and TLS connection timeout" },
	{ "timeout", SOCA_T_DURATION, "60s", NULL, 0, 0,
	    "whole-request timeout" },
	/* provider = aws (issue 5) */
	{ "ami", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "AMI of compute nodes when the job names none" },
	{ "base_os_amis", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "base_os=ami-... pairs: the AMI for each base_os" },
	{ "subnet_ids", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "subnets compute nodes launch in, tried in turn on capacity errors" },
	{ "security_group_ids", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "security groups of every compute node" },
	{ "key_name", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "EC2 key pair of compute nodes" },
	{ "instance_profile", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "IAM instance profile of compute nodes when the job names none" },
	{ "user_data", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "user-data template of compute nodes (etc/user-data.sh)" },
	{ "shared_fs", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "NFS/EFS source nodes mount (host:/path), holding spool and homes" },
	{ "shared_fs_mount", SOCA_T_PATH, "/data", NULL, 0, 0,
	    "where nodes mount shared_fs" },
	{ "fsx", SOCA_T_BOOL, "yes", NULL, 0, 0,
	    "jobs may ask for FSx for Lustre; the reaper sweeps file systems" },
	{ "fsx_mount", SOCA_T_PATH, "/fsx", NULL, 0, 0,
	    "where nodes mount a job's FSx for Lustre file system" },
	{ "fsx_wait", SOCA_T_DURATION, "30m", NULL, 0, 0,
	    "how long nodes wait for a job's file system to become AVAILABLE" },
	{ "fsx_export_timeout", SOCA_T_DURATION, "6h", NULL, 0, 0,
	    "how long the reaper waits for a file system's export; after it, "
	    "the file system is kept for an admin" },
	{ "launch_template", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "launch template CreateFleet uses (several types, Spot mixes)" },
	{ "extra_tags", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "Key=Value tags added to every instance and volume" },
	{ "boot_timeout", SOCA_T_DURATION, "20m", NULL, 0, 0,
	    "instances whose job has not started by then are replaced" },
	{ "launch_burst", SOCA_T_INT, "5", NULL, 1, 1000000,
	    "launch calls at once before launch_rate applies (EC2: 5)" },
	{ "launch_rate", SOCA_T_NUMBER, "2", NULL, 0, 0,
	    "launch calls a second, sustained (EC2: 2; 0: no limit)" },
	{ "instance_burst", SOCA_T_INT, "1000", NULL, 1, 1000000,
	    "instances launched at once before instance_rate applies" },
	{ "instance_rate", SOCA_T_NUMBER, "2", NULL, 0, 0,
	    "instances launched a second, sustained (EC2: 2)" },
	{ "launch_wait", SOCA_T_DURATION, "50s", NULL, 0, 0,
	    "how long one soca-node-up run waits for launch tokens" },
	{ "launch_workers", SOCA_T_INT, "8", NULL, 1, 64,
	    "launch calls in flight at once (forked workers; 1: in turn)" },
	{ "dryrun", SOCA_T_BOOL, "yes", NULL, 0, 0,
	    "soca-submit asks AWS (DryRun RunInstances) before queueing" },
	{ "dryrun_cache", SOCA_T_DURATION, "1h", NULL, 0, 0,
	    "how long a DryRun answer holds for the same parameters" },
	{ "orphan_grace", SOCA_T_DURATION, "10m", NULL, 0, 0,
	    "instances of the cluster with no job older than this go" },
	{ "capacity_backoff", SOCA_T_DURATION, "5m", NULL, 0, 0,
	    "scheduler = slurm: after a capacity error, launch no more of "
	    "that instance type for this long" },
	END
};

static const struct soca_key ldap_keys[] = {
	{ "uri", SOCA_T_STRING, "ldap://127.0.0.1", NULL, 0, 0,
	    "directory server (ldap:// or ldaps://)" },
	{ "base", SOCA_T_STRING, "dc=soca,dc=local", NULL, 0, 0,
	    "base DN" },
	{ "bind_dn", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "DN to bind as" },
	{ "bind_password_file", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "file holding the bind password (mode 0600 or 0400)" },
	{ "bind_password", SOCA_T_SECRET, NULL, NULL, 0, 0,
	    "the bind password itself (prefer bind_password_file)" },
	{ "ca_file", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "CA certificate to verify the server with" },
	{ "starttls", SOCA_T_ENUM, "auto", "auto|yes|no", 0, 0,
	    "auto: StartTLS for ldap:// to hosts other than loopback" },
	{ "timeout", SOCA_T_DURATION, "10s", NULL, 0, 0,
	    "connection and operation timeout" },
	{ "uid_min", SOCA_T_INT, "5000", NULL, 1, 2147483647,
	    "first uid number soca-user gives out" },
	{ "uid_max", SOCA_T_INT, "59999", NULL, 1, 2147483647,
	    "last uid number soca-user gives out" },
	{ "gid_min", SOCA_T_INT, "5000", NULL, 1, 2147483647,
	    "first gid number soca-user and soca-group give out" },
	{ "gid_max", SOCA_T_INT, "59999", NULL, 1, 2147483647,
	    "last gid number soca-user and soca-group give out" },
	{ "homes", SOCA_T_PATH, "/data/home", NULL, 0, 0,
	    "where home directories are made (shared filesystem)" },
	{ "skel", SOCA_T_PATH, "/etc/skel", NULL, 0, 0,
	    "skeleton copied into new home directories" },
	{ "home_queue", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "soca-user not run as root queues homes here for soca-user home "
	    "--pending (root) to make or move aside" },
	{ "default_shell", SOCA_T_PATH, "/bin/bash", NULL, 0, 0,
	    "login shell of new users" },
	{ "user_group", SOCA_T_ENUM, "per-user", "per-user|shared", 0, 0,
	    "per-user: a group per user; shared: everyone in shared_group" },
	{ "shared_group", SOCA_T_STRING, "soca-users", NULL, 0, 0,
	    "primary group of new users when user_group = shared" },
	{ "admin_group_dn", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "group of administrators (default: cn=soca-admins,ou=Group,BASE)" },
	{ "password_min_length", SOCA_T_INT, "12", NULL, 8, 1024,
	    "shortest password soca-user accepts" },
	{ "password_scheme", SOCA_T_ENUM, "server", "server|crypt", 0, 0,
	    "server: Password Modify operation; crypt: SHA-512 crypt here" },
	{ "ssh_key_type", SOCA_T_ENUM, "ed25519", "ed25519|ecdsa|rsa", 0, 0,
	    "type of the SSH key pair made for each new user" },
	END
};

/* Queue policy, then the job resources a queue gives defaults for. */
static const struct soca_key queue_keys[] = {
	{ "description", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "one line shown by soca-stat -Q" },
	{ "enabled", SOCA_T_BOOL, "yes", NULL, 0, 0,
	    "accept new jobs" },
	{ "allowed_users", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "users or groups that may submit (default: everyone)" },
	{ "excluded_users", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "users or groups that may not submit" },
	{ "allowed_instance_types", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "instance types or families jobs may ask for" },
	{ "excluded_instance_types", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "instance types or families jobs may not ask for" },
	{ "restricted_parameters", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "resources users may not set (the queue default applies)" },
	{ "max_running_jobs", SOCA_T_INT, NULL, NULL, 0, 1000000,
	    "jobs provisioning or running at once (default: unlimited)" },
	{ "max_provisioned_instances", SOCA_T_INT, NULL, NULL, 0, 1000000,
	    "instances of this queue at once (default: unlimited)" },
	{ "scaling_mode", SOCA_T_ENUM, "single_job", "single_job|multiple_jobs",
	    0, 0, "capacity per job, or shared by jobs with equal resources" },
	{ "terminate_when_idle", SOCA_T_INT, "0", NULL, 0, 100000,
	    "multiple_jobs: minutes idle before shared capacity goes" },
	{ "keep_forever", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "never terminate this queue's capacity" },
	{ "policy", SOCA_T_ENUM, "fifo", "fifo|fairshare", 0, 0,
	    "order in which queued jobs are dispatched" },
	{ "efs_mounts", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "extra EFS or NFS mounts on the nodes: SOURCE=MOUNTPOINT[:ro]" },
	{ "max_cost_limit", SOCA_T_USD, NULL, NULL, 0, 0,
	    "highest -l max_cost a job may ask for; the cap of jobs that "
	    "ask none (default: no limit)" },
	{ "budget_counts_queued", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "a project's budget check at submission adds the estimates of "
	    "its queued and running jobs" },
	{ "interpreters", SOCA_T_LIST, "/bin/bash, /bin/sh", NULL, 0, 0,
	    "soca-api: the interpreters a web submission may name (-S)" },
	/* job resources (soca-submit -l); values here are the defaults */
	{ "instance_type", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "EC2 instance type, or several joined by +" },
	{ "nodes", SOCA_T_INT, "1", NULL, 1, 10000,
	    "instances for the job" },
	{ "ncpus", SOCA_T_INT, "1", NULL, 1, 100000,
	    "CPUs per node the job needs (local provider: slots)" },
	{ "mpiprocs", SOCA_T_INT, NULL, NULL, 1, 100000,
	    "MPI ranks per node: PBS_NODEFILE lists each node this often" },
	{ "ompthreads", SOCA_T_INT, NULL, NULL, 1, 100000,
	    "OMP_NUM_THREADS of the job (default: ncpus)" },
	{ "spot_price", SOCA_T_NUMBER, NULL, "auto", 0, 0,
	    "Spot: maximum $/hour, or auto for the On-Demand cap" },
	{ "spot_allocation_count", SOCA_T_INT, NULL, NULL, 0, 10000,
	    "of the nodes, how many are Spot (the rest On-Demand)" },
	{ "spot_allocation_strategy", SOCA_T_ENUM, NULL,
	    "capacity-optimized|lowest-price|diversified", 0, 0,
	    "CreateFleet Spot allocation strategy" },
	{ "subnet_id", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "subnets to launch in, or a count of random private subnets" },
	{ "placement_group", SOCA_T_BOOL, NULL, NULL, 0, 0,
	    "cluster placement group for multi-node jobs" },
	{ "ht_support", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "hyper-threading (ThreadsPerCore 2)" },
	{ "efa_support", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "Elastic Fabric Adapter" },
	{ "base_os", SOCA_T_ENUM, NULL,
	    "amazonlinux2|amazonlinux2023|rhel8|rhel9|rocky8|rocky9|ubuntu2204|ubuntu2404",
	    0, 0, "operating system of the node image" },
	{ "instance_ami", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "AMI id (ami-...)" },
	{ "root_size", SOCA_T_INT, NULL, NULL, 1, 65536,
	    "root volume, GiB" },
	{ "scratch_size", SOCA_T_INT, NULL, NULL, 0, 65536,
	    "extra EBS scratch volume, GiB" },
	{ "scratch_iops", SOCA_T_INT, NULL, NULL, 0, 256000,
	    "scratch volume IOPS (io2 when set)" },
	{ "keep_ebs", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "keep EBS volumes when the job ends" },
	{ "security_groups", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "extra security groups (from allowed_security_groups)" },
	{ "allowed_security_groups", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "security groups jobs may add" },
	{ "instance_profile", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "IAM instance profile (from allowed_instance_profiles)" },
	{ "allowed_instance_profiles", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "instance profiles jobs may use" },
	{ "force_ri", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "run only on Reserved Instances" },
	{ "fsx_lustre", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "FSx for Lustre: filesystem id, s3:// bucket, or yes" },
	{ "fsx_lustre_size", SOCA_T_INT, NULL, NULL, 1, 2000000,
	    "FSx for Lustre size, GiB (default 1200)" },
	{ "fsx_lustre_deployment_type", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "SCRATCH_1, SCRATCH_2 (default), PERSISTENT_1 or PERSISTENT_2" },
	{ "fsx_lustre_per_unit_throughput", SOCA_T_INT, NULL, NULL, 1, 100000,
	    "PERSISTENT throughput, MB/s/TiB (default the type's lowest)" },
	{ "walltime", SOCA_T_DURATION, NULL, NULL, 0, 0,
	    "longest the job may run (2h, or PBS's [[HH:]MM:]SS)" },
	{ "max_cost", SOCA_T_USD, NULL, NULL, 0, 0,
	    "USD the job may cost: refused when its estimate is more, "
	    "stopped when it has cost that much" },
	END
};

static const struct soca_key project_keys[] = {
	{ "description", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "one line about the project" },
	{ "budget", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "AWS Budgets budget name" },
	{ "allowed_users", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "users that may charge the project" },
	{ "allowed_groups", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "groups whose members may charge the project" },
	{ "limit", SOCA_T_NUMBER, NULL, NULL, 0, 0,
	    "spending limit in USD per period (default: the budget's)" },
	{ "default_for", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "users or groups whose jobs naming no project go here" },
	END
};

static const struct soca_key budget_keys[] = {
	{ "account_id", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "AWS account that holds the budgets (12 digits)" },
	{ "refresh", SOCA_T_DURATION, "1h", NULL, 0, 0,
	    "age at which the budgets and spend cache is fetched again" },
	{ "refresh_wait", SOCA_T_DURATION, "30s", NULL, 0, 0,
	    "how long a command waits for another's fetch of the cache" },
	{ "action", SOCA_T_ENUM, "hold", "hold|cancel", 0, 0,
	    "queued jobs of a project over its limit: hold or cancel them" },
	{ "lag", SOCA_T_DURATION, "24h", NULL, 0, 0,
	    "how late AWS's spend figures are; soca estimates that span" },
	{ "require_project", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "refuse jobs that name no project and have no default one" },
	END
};

static const struct soca_key archive_keys[] = {
	{ "bucket", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "S3 bucket finished jobs and logs are archived to (soca-archive)" },
	{ "prefix", SOCA_T_STRING, "soca", NULL, 0, 0,
	    "key prefix in the bucket: PREFIX/jobs/YYYY/MM/DD/..." },
	{ "keep", SOCA_T_DURATION, "30d", NULL, 0, 0,
	    "finished jobs stay in the spool (and logs on disk) this long" },
	{ "multipart_threshold", SOCA_T_SIZE, "64M", NULL, 0, 0,
	    "objects above this size go in parts of this size (S3: 5M at "
	    "least)" },
	{ "logs", SOCA_T_LIST, "/var/log/soca/*.log-*", NULL, 0, 0,
	    "soca's rotated logs (globs, never *.log) sent once older than "
	    "keep, or none" },
	END
};

static const struct soca_key license_keys[] = {
	{ "server", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "FlexLM servers: PORT@HOST, or HOST with port; several for "
	    "redundant servers" },
	{ "port", SOCA_T_INT, "27000", NULL, 1, 65535,
	    "the port of servers given without one" },
	{ "feature", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "the FlexLM feature (matched whole; default: the section's name)" },
	{ "lmutil", SOCA_T_PATH, "lmutil", NULL, 0, 0,
	    "the lmutil program (a path, or a name found on PATH)" },
	{ "reserved", SOCA_T_INT, "0", NULL, 0, 1000000,
	    "licenses kept back for users outside soca" },
	{ "timeout", SOCA_T_DURATION, "10s", NULL, 0, 0,
	    "how long lmutil (or command) may take before the license is "
	    "unreadable" },
	{ "command", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "instead of FlexLM: a shell command that prints the number "
	    "available" },
	{ "checkout_grace", SOCA_T_DURATION, "1m", NULL, 0, 0,
	    "how long after its start a job's licenses still count as "
	    "soca's (until the server can see them checked out)" },
	END
};

/* remote desktops: soca-desktop (issue 14) */
static const struct soca_key desktop_keys[] = {
	{ "allowed_types", SOCA_T_LIST,
	    "t3.large, t3.xlarge, m5.large, m5.xlarge, g5.xlarge", NULL, 0, 0,
	    "instance types users may launch desktops with (type or family)" },
	{ "default_type", SOCA_T_STRING, "t3.large", NULL, 0, 0,
	    "type of a desktop launched without -t" },
	{ "images", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "NAME=ami-... pairs: the images users may pick with -i" },
	{ "default_image", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "image NAME (of images) used without -i (default: the first)" },
	{ "root_size", SOCA_T_INT, "30", NULL, 8, 16384,
	    "root volume in GiB when launch names none" },
	{ "max_per_user", SOCA_T_INT, NULL, NULL, 0, 1000,
	    "desktops a user may have at once, both OSes (not terminated; "
	    "default: only the per-OS limits)" },
	{ "max_linux_per_user", SOCA_T_INT, "4", NULL, 0, 1000,
	    "Linux desktops a user may have at once (not terminated)" },
	{ "max_windows_per_user", SOCA_T_INT, "4", NULL, 0, 1000,
	    "Windows desktops a user may have at once (not terminated)" },
	{ "subnet_ids", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "subnets desktops may launch in (default: [aws] subnet_ids)" },
	{ "security_group_ids", SOCA_T_LIST, NULL, NULL, 0, 0,
	    "security groups of desktops (default: [aws] security_group_ids)" },
	{ "instance_profile", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "IAM instance profile of desktops (must read "
	    "s3://dcv-license.REGION/*)" },
	{ "user_data", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "user-data template of desktops (etc/desktop-user-data.sh)" },
	{ "windows_user_data", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "user-data template of Windows desktops "
	    "(etc/desktop-user-data.ps1)" },
	{ "windows_domain", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "Windows desktops: the AD domain they are joined to (the owner "
	    "logs in as DOMAIN\\owner; default: a local user)" },
	{ "timezone", SOCA_T_STRING, "UTC", NULL, 0, 0,
	    "time zone of schedules that name none (TZ database name)" },
	{ "idle_hours", SOCA_T_NUMBER, "2", NULL, 0, 0,
	    "outside its window, a desktop with no DCV connection for this "
	    "long is stopped" },
	{ "idle_cpu", SOCA_T_NUMBER, "0.5", NULL, 0, 0,
	    "... when its 1-minute load average is below this" },
	{ "idle_gpu", SOCA_T_NUMBER, "5", NULL, 0, 0,
	    "... and its busiest GPU below this utilisation (percent)" },
	{ "report_max_age", SOCA_T_DURATION, "15m", NULL, 0, 0,
	    "a node report older than this is not trusted for an idle stop" },
	{ "stop_at_window_end", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "stop a running desktop when its window ends, idle or not" },
	{ "dcv_port", SOCA_T_INT, "8443", NULL, 1, 65535,
	    "port DCV listens on" },
	{ "dcv_auth", SOCA_T_ENUM, "system", "system|token", 0, 0,
	    "how DCV authenticates: system (PAM: the LDAP password) or token "
	    "(soca-api's signed tokens, checked at [web] url/api/dcv-auth)" },
	{ "gateway", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "host users ssh through to reach private desktops (default: this "
	    "host's name)" },
	{ "alb_listener_arn", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "ALB listener that gets a target group and a path rule per "
	    "running desktop (default: none)" },
	{ "alb_max_rules", SOCA_T_INT, "100", NULL, 1, 10000,
	    "rules the ALB listener may hold (ALB's quota: 100)" },
	END
};

/* one registered desktop image (profile): its OS and its own limits */
static const struct soca_key desktop_image_keys[] = {
	{ "ami", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "its AMI (ami-...), unless [desktop] images names it already" },
	{ "os", SOCA_T_ENUM, "linux", "linux|windows", 0, 0,
	    "its operating system: the user data and the per-OS limit" },
	{ "max_per_user", SOCA_T_INT, NULL, NULL, 0, 1000,
	    "desktops of this image a user may have at once" },
	{ "max_total", SOCA_T_INT, NULL, NULL, 0, 100000,
	    "desktops of this image all users may have at once" },
	END
};

/* job mail: qsub -m abe (issue 16) */
static const struct soca_key mail_keys[] = {
	{ "sendmail", SOCA_T_PATH, "/usr/sbin/sendmail", NULL, 0, 0,
	    "the mailer jobs' mail is handed to (its sendmail interface, "
	    "run as: sendmail -oi -f FROM -- RCPT...)" },
	{ "from", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "sender of jobs' mail (default: soca@ this host's name)" },
	{ "ses", SOCA_T_BOOL, "no", NULL, 0, 0,
	    "send through Amazon SES (SendEmail, soca's AWS credentials) "
	    "instead of sendmail" },
	END
};

/* analytics: soca-index (issue 16) */
static const struct soca_key index_keys[] = {
	{ "endpoint", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "OpenSearch/Elasticsearch URL (https://search-x.REGION.es."
	    "amazonaws.com, or a self-managed cluster)" },
	{ "auth", SOCA_T_ENUM, "sigv4", "sigv4|basic", 0, 0,
	    "sigv4: Amazon OpenSearch Service (IAM, service es); basic: "
	    "user and password_file" },
	{ "region", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "auth = sigv4: the domain's region (default: [aws] region)" },
	{ "user", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "auth = basic: the user name" },
	{ "password_file", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "auth = basic: a file whose first line is the password" },
	{ "jobs_index", SOCA_T_STRING, "soca-jobs", NULL, 0, 0,
	    "index finished jobs go to (its template: INDEX*)" },
	{ "nodes_index", SOCA_T_STRING, "soca-nodes", NULL, 0, 0,
	    "index of soca-index nodes' snapshots (its template: INDEX*)" },
	{ "desktops_index", SOCA_T_STRING, "soca-desktops", NULL, 0, 0,
	    "index of soca-index desktops' sessions (its template: INDEX*)" },
	{ "batch", SOCA_T_INT, "1000", NULL, 1, 100000,
	    "documents per _bulk request" },
	END
};

/* the web door: soca-api (issue 15) */
static const struct soca_key web_keys[] = {
	{ "state", SOCA_T_PATH, "/var/lib/soca/web", NULL, 0, 0,
	    "soca-api: keys, sessions and login failures (the soca-api "
	    "user's, 0700)" },
	{ "bindir", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "soca-api: where the soca commands it runs are (default: the "
	    "install's bindir)" },
	{ "openapi", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "soca-api: the OpenAPI document it serves (default: the "
	    "install's)" },
	{ "audit_log", SOCA_T_PATH, NULL, NULL, 0, 0,
	    "soca-api: one line per request appended here (default: stderr, "
	    "nginx's error log)" },
	{ "max_body", SOCA_T_SIZE, "1M", NULL, 0, 0,
	    "soca-api: largest request body (larger: 413)" },
	{ "max_upload", SOCA_T_SIZE, "1G", NULL, 0, 0,
	    "soca-api: largest file uploaded with PUT /api/files" },
	{ "max_output", SOCA_T_SIZE, "16M", NULL, 0, 0,
	    "soca-api: most output kept from one command" },
	{ "timeout", SOCA_T_DURATION, "30s", NULL, 0, 0,
	    "soca-api: longest a command may run for a request" },
	{ "min_uid", SOCA_T_INT, "1000", NULL, 1, 2147483647,
	    "soca-api: never act as a user below this uid (nor root)" },
	{ "directory_user", SOCA_T_STRING, "soca-ldap", NULL, 0, 0,
	    "soca-api: the account owning [ldap] bind_password_file that "
	    "administrators' soca-user and soca-group run as" },
	{ "session_ttl", SOCA_T_DURATION, "8h", NULL, 0, 0,
	    "soca-api: lifetime of a login session" },
	{ "login_failures", SOCA_T_INT, "5", NULL, 1, 1000000,
	    "soca-api: failed logins per user or address before 429" },
	{ "login_window", SOCA_T_DURATION, "5m", NULL, 0, 0,
	    "soca-api: the window login_failures counts in" },
	{ "origin", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "soca-api: the site's origin (https://host[:port]; default: from "
	    "the request's Host)" },
	{ "dcv_token_ttl", SOCA_T_DURATION, "5m", NULL, 0, 0,
	    "soca-api: lifetime of a desktop's DCV token ([desktop] dcv_auth "
	    "= token)" },
	{ "url", SOCA_T_STRING, NULL, NULL, 0, 0,
	    "the site's https URL; desktops in token mode ask URL/api/dcv-auth" },
	{ "applications", SOCA_T_PATH, "/etc/soca/applications", NULL, 0, 0,
	    "soca-api: the application profiles' directory (NAME.json each; "
	    "soca-api(8))" },
	END
};

const struct soca_section_schema soca_schema[] = {
	{ "cluster", false, cluster_keys, "the cluster as a whole" },
	{ "aws", false, aws_keys, "how soca reaches AWS" },
	{ "ldap", false, ldap_keys, "the user directory" },
	{ "queue", true, queue_keys, "one queue: policy and resource defaults" },
	{ "project", true, project_keys, "one project: who may charge it" },
	{ "budget", false, budget_keys, "budgets and the spend cache" },
	{ "archive", false, archive_keys, "job history archived to S3" },
	{ "license", true, license_keys, "one license jobs ask for with "
	    "-l NAME=N" },
	{ "desktop", false, desktop_keys, "remote desktops (soca-desktop)" },
	{ "mail", false, mail_keys, "jobs' mail (-m abe, -M)" },
	{ "index", false, index_keys, "analytics: soca-index to OpenSearch" },
	{ "web", false, web_keys, "the web door (soca-api)" },
	{ "desktop_image", true, desktop_image_keys, "one desktop image: "
	    "its OS and limits" },
	{ NULL, false, NULL, NULL },
};

const struct soca_section_schema *
soca_schema_section(const char *name)
{
	for (const struct soca_section_schema *s = soca_schema; s->name; s++)
		if (s->name[0] == name[0] && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

const struct soca_key *
soca_schema_key(const struct soca_section_schema *s, const char *name)
{
	for (const struct soca_key *k = s->keys; k->name; k++)
		if (k->name[0] == name[0] && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}
