/*
 * soca-doctor: check a site before its users find the problem.  One line
 * per check (ok, warn, FAIL with the fix, skip with why), in the order a
 * site depends on them: the configuration, the spool and the setgid
 * commands in front of it, leftovers, the dispatcher being run at all,
 * Slurm when it is the scheduler, LDAP, then with provider = aws the
 * credentials, the cluster's instances, every AMI the queues use, a
 * DryRun launch of each queue's default job asked of AWS now (it proves
 * the instance type, AMI, subnets, security groups and instance profile
 * together), the shared filesystem's mount, jobs' FSx file systems the
 * reaper keeps for an administrator (an export failed or timed out),
 * whether the desktops' role may read NICE DCV's license (IAM's policy
 * simulator) and Cost Explorer.
 *
 * Nothing is changed: the DryRun launches are DryRun, the spool check
 * does not repair.  Exit 0 when nothing failed (warnings allowed), 1
 * when a check failed, 2 on a usage error.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cost.h"
#include "dir.h"
#include "fsx.h"
#include "job.h"
#include "provider_aws.h"

static const char usage_text[] =
    "usage: soca-doctor [-Jnq] [--csv] [-c file] [-o cols]\n"
    "  -c file   check this soca.conf (default: as every command finds it)\n"
    "  -q        only what is not ok\n"
    "  -J        JSON Lines;  --csv  CSV;  -n  no headings;  -o  columns\n";

static const struct soca_col cols[] = {
	{ "status", "STATUS", SOCA_COL_STR, false, false },
	{ "check", "CHECK", SOCA_COL_STR, false, false },
	{ "detail", "DETAIL", SOCA_COL_STR, false, false },
	{ "fix", "FIX", SOCA_COL_STR, false, false },
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

/* how long a kick may wait before nothing running the dispatcher shows */
#define KICK_STALE 180

/* the commands a shared spool's users go through, installed setgid */
static const char *const setgid_cmds[] = { "soca-submit", "soca-stat",
	"soca-del", "soca-hold", "soca-release", "soca-alter", "soca-desktop",
	"soca-budget",
	NULL };

enum st { ST_OK, ST_WARN, ST_FAIL, ST_SKIP };
static const char *const st_name[] = { "ok", "warn", "FAIL", "skip" };

static struct soca_out *out;
static bool quiet;
static int nfail, nwarn, nok, nshown;

static void __attribute__((format(printf, 4, 5)))
report(enum st s, const char *check, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *d;

	if (s == ST_FAIL)
		nfail++;
	else if (s == ST_WARN)
		nwarn++;
	else if (s == ST_OK)
		nok++;
	if (quiet && (s == ST_OK || s == ST_SKIP))
		return;
	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		err(SOCA_EX_TEMP, "vasprintf");
	va_end(ap);
	for (char *p = d; *p; p++)	/* one line per check, always */
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	nshown++;
	soca_out_str(out, "status", st_name[s]);
	soca_out_str(out, "check", check);
	soca_out_str(out, "detail", d);
	soca_out_str(out, "fix", fix ? fix : "-");
	soca_out_row(out);
	free(d);
}

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* ---- the configuration ---- */

static struct soca_conf *
check_conf(const char *opt)
{
	const char *path = soca_conf_path(opt);
	struct soca_conf *c = soca_conf_load(path);
	char *fix;
	size_t n;
	char **q;

	if (c == NULL) {
		report(ST_FAIL, "conf", "create it (soca.conf(5)) or name "
		    "another with -c or SOCA_CONF", "%s: %s", path,
		    strerror(errno));
		return NULL;
	}
	soca_conf_check(c);
	if ((n = soca_conf_ndiags(c)) > 0) {
		fix = soca_xasprintf("soca-config check %s", path ? path : "");
		for (size_t i = 0; i < n; i++) {
			const struct soca_diag *g = soca_conf_diag(c, i);

			report(ST_FAIL, "conf", fix, "%s:%d: %s", g->file,
			    g->line, g->msg);
		}
		free(fix);
		soca_conf_free(c);
		return NULL;
	}
	n = soca_conf_names(c, "queue", &q);
	soca_strv_free(q, n);
	if (path)
		report(ST_OK, "conf", NULL, "%s is valid (%zu queue%s)", path,
		    n, n == 1 ? "" : "s");
	else
		report(ST_OK, "conf", NULL, "no soca.conf: the built-in "
		    "defaults (per-user spool, local provider)");
	return c;
}

/* ---- the spool and the commands in front of it ---- */

static char *
self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return soca_xstrdup(dirname(buf));
}

static void
check_setgid(const struct stat *sp)
{
	char *dir = self_dir(), *p, *fix;
	struct stat st;
	size_t bad = 0;

	if (dir == NULL) {
		report(ST_SKIP, "setgid", NULL, "cannot find the directory "
		    "of soca-doctor (/proc/self/exe)");
		return;
	}
	for (size_t i = 0; setgid_cmds[i]; i++) {
		p = soca_path_join(dir, setgid_cmds[i]);
		if (stat(p, &st) < 0) {
			report(ST_WARN, "setgid", NULL, "%s: %s (soca-doctor "
			    "looks beside itself)", p, strerror(errno));
			bad++;
		} else if (!(st.st_mode & S_ISGID) || st.st_gid != sp->st_gid) {
			fix = soca_xasprintf("chgrp %ld %s && chmod 2755 %s",
			    (long)sp->st_gid, p, p);
			report(ST_FAIL, "setgid", fix, "%s is mode %04o group "
			    "%ld: users cannot reach the shared spool (group "
			    "%ld) through it", p, (unsigned)(st.st_mode & 07777),
			    (long)st.st_gid, (long)sp->st_gid);
			free(fix);
			bad++;
		}
		free(p);
	}
	if (bad == 0)
		report(ST_OK, "setgid", NULL, "%s: the user commands are "
		    "setgid to the spool's group %ld", dir, (long)sp->st_gid);
	free(dir);
}

static struct soca_spool *
check_spool(const struct soca_conf *c)
{
	const char *dir = soca_conf_get(c, "cluster", NULL, "spool");
	struct soca_spool *sp;
	struct stat st;
	unsigned mode;
	char *fix;

	if (stat(dir, &st) < 0) {
		fix = soca_xasprintf("soca-spool init (or soca-spool init GROUP "
		    "for a shared spool)");
		report(errno == ENOENT ? ST_WARN : ST_FAIL, "spool", fix,
		    "%s: %s", dir, strerror(errno));
		free(fix);
		return NULL;
	}
	mode = st.st_mode & 07777;
	if (st.st_mode & S_ISGID) {	/* shared: root:GROUP 2770 */
		if (st.st_uid != 0 || mode != 02770) {
			fix = soca_xasprintf("chown root:%ld %s && chmod 2770 "
			    "%s", (long)st.st_gid, dir, dir);
			report(ST_FAIL, "spool", fix, "%s is a shared spool with "
			    "owner %ld mode %04o, not root and 2770", dir,
			    (long)st.st_uid, mode);
			free(fix);
		} else
			report(ST_OK, "spool", NULL, "%s: shared, root:%ld "
			    "2770", dir, (long)st.st_gid);
		check_setgid(&st);
	} else if (st.st_uid != geteuid() && geteuid() != 0) {
		report(ST_FAIL, "spool", "run soca-doctor as the spool's owner, "
		    "or make it shared (soca-spool(1) init GROUP)", "%s belongs "
		    "to uid %ld, not you", dir, (long)st.st_uid);
		return NULL;
	} else if (mode & 077) {
		fix = soca_xasprintf("chmod 700 %s", dir);
		report(ST_WARN, "spool", fix, "%s is mode %04o: others can "
		    "read jobs and their scripts", dir, mode);
		free(fix);
	} else
		report(ST_OK, "spool", NULL, "%s: private, mode %04o", dir,
		    mode);
	if (access(dir, R_OK | X_OK) < 0 ||
	    (sp = soca_spool_open(c, false)) == NULL)
		return NULL;
	return sp;
}

static void
check_leftovers(struct soca_spool *sp)
{
	FILE *null = fopen("/dev/null", "w");
	int n;

	if (null == NULL) {
		report(ST_SKIP, "leftovers", NULL, "/dev/null: %s",
		    strerror(errno));
		return;
	}
	n = soca_spool_check(sp, false, null);
	fclose(null);
	if (n < 0)
		report(ST_SKIP, "leftovers", NULL, "cannot lock the spool: %s",
		    strerror(errno));
	else if (n > 0)
		report(ST_WARN, "leftovers", "soca-spool check --repair", "%d "
		    "leftover%s of a crash in the spool", n, n == 1 ? "" : "s");
	else
		report(ST_OK, "leftovers", NULL, "no leftovers of a crash");
}

static void
check_dispatcher(struct soca_spool *sp)
{
	char *p = soca_path_join(soca_spool_dir(sp), "kick");
	struct stat st;
	long long age;

	if (stat(p, &st) < 0)
		report(ST_OK, "dispatcher", NULL, "no kick waiting: the last "
		    "one was taken");
	else if ((age = (long long)(time(NULL) - st.st_mtime)) > KICK_STALE)
		report(ST_WARN, "dispatcher", "systemctl enable --now "
		    "soca-node-up.timer soca-dispatch.path (or the cron file "
		    "etc/cron.d/soca)", "a kick has waited %lld s: nothing "
		    "runs soca-node-up", age);
	else
		report(ST_OK, "dispatcher", NULL, "a kick is %lld s old (a "
		    "pass takes it)", age);
	free(p);
}

static void
check_slurm(const struct soca_conf *c)
{
	FILE *f;
	char line[256] = "";
	int rc;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"),
	    "slurm") != 0)
		return;
	if ((f = popen("scontrol ping 2>&1", "r")) == NULL) {
		report(ST_FAIL, "slurm", NULL, "scontrol: %s", strerror(errno));
		return;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	rc = pclose(f);
	if (rc == 0 && strstr(line, "UP") != NULL)
		report(ST_OK, "slurm", NULL, "%s", line);
	else
		report(ST_FAIL, "slurm", "start slurmctld; soca-config slurm "
		    "prints the slurm.conf lines soca needs", "scontrol ping: "
		    "%s", line[0] ? line : "no answer");
}

static void
check_ldap(const struct soca_conf *c)
{
	const char *uri = soca_conf_get(c, "ldap", NULL, "uri");
	const char *st = soca_conf_get(c, "ldap", NULL, "starttls");
	struct soca_dir *d;

	if (!soca_conf_isset(c, "ldap", NULL, "uri")) {
		report(ST_SKIP, "ldap", NULL, "no [ldap] uri: users come from "
		    "this host's passwd");
		return;
	}
	if (soca_dir_open(c, &d) != 0) {
		report(ST_FAIL, "ldap", "check [ldap] uri, bind_dn and "
		    "bind_password_file (ldapwhoami -H URI -D DN -W)", "%s: "
		    "cannot connect and bind (the reason is above)", uri);
		return;
	}
	soca_dir_close(d);
	if (strncmp(uri, "ldap://", 7) == 0 && strcmp(st, "no") == 0)
		report(ST_WARN, "ldap", "set [ldap] starttls = yes, or use "
		    "ldaps://", "%s: bound, but without TLS: passwords cross "
		    "the network in clear", uri);
	else
		report(ST_OK, "ldap", NULL, "%s: connected and bound", uri);
}

/* ---- AWS ---- */

static void
check_ami(const struct soca_conf *c, const char *ami, char ***seen,
    size_t *nseen)
{
	char *why = NULL, *dev;
	bool temp = false;

	if (ami == NULL || *ami == '\0')
		return;
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp((*seen)[i], ami) == 0)
			return;
	*seen = soca_xreallocarray(*seen, *nseen + 1, sizeof(**seen));
	(*seen)[(*nseen)++] = soca_xstrdup(ami);
	if ((dev = soca_aws_root_device(c, ami, &why, &temp)) != NULL)
		report(ST_OK, "ami", NULL, "%s is visible (root device %s)",
		    ami, dev);
	else
		report(temp ? ST_WARN : ST_FAIL, "ami", "set [aws] ami (or the "
		    "queue's instance_ami) to an AMI this account can launch",
		    "%s: %s", ami, why ? why : "not visible");
	free(dev);
	free(why);
}

static void
check_queue(const struct soca_conf *c, struct soca_spool *sp, const char *q)
{
	struct passwd *pw = getpwuid(getuid());
	struct soca_job j = { 0 };
	char *why = NULL, *check = soca_xasprintf("queue %s", q);
	int r;

	if (!soca_conf_bool(c, "queue", q, "enabled")) {
		report(ST_SKIP, check, NULL, "disabled (enabled = no)");
		free(check);
		return;
	}
	j.id = 0;
	j.uid = getuid();
	j.gid = getgid();
	j.user = soca_xstrdup(pw ? pw->pw_name : "root");
	j.queue = soca_xstrdup(q);
	j.name = soca_xstrdup("soca-doctor");
	j.exit = -1;
	if ((why = soca_job_validate(c, &j, NULL, 0)) != NULL)
		report(ST_WARN, check, NULL, "its default job is refused for "
		    "you: %s", why);
	else if ((r = soca_aws_dryrun_now(c, sp, &j, &why)) == 0)
		report(ST_OK, check, NULL, "AWS would launch its default job "
		    "(%s x %s, DryRun)", soca_job_res(&j, "instance_type") ?
		    soca_job_res(&j, "instance_type") : "?",
		    soca_job_res(&j, "nodes") ? soca_job_res(&j, "nodes") : "1");
	else
		report(r < 0 ? ST_WARN : ST_FAIL, check, r == 1 ? "fix the "
		    "queue's instance type, AMI, subnet, security groups or "
		    "instance profile as AWS says, or the head node role "
		    "(deploy/README.md)" : NULL, "%s%s",
		    r == 1 ? "AWS would refuse its default job: " :
		    r < 0 ? "AWS could not say: " : "", why ? why : "");
	free(why);
	soca_job_free(&j);
	free(check);
}

/*
 * The account's running On-Demand vCPU quotas (Service Quotas) against
 * what the queues' max_provisioned_instances allow at once: per quota,
 * the sum over its queues of max x the vCPUs of the queue's largest type
 * (DescribeInstanceTypes, one call).  A queue without a max is bounded
 * only by the quota itself (its launches are held at VcpuLimitExceeded).
 */
static const struct quota {
	const char *code, *name;
} quotas[] = {
	{ "L-1216C47A", "Standard (A, C, D, H, I, M, R, T, Z)" },
	{ "L-DB2E81BA", "G and VT" },
	{ "L-417A185B", "P" },
};
#define NQUOTAS (sizeof(quotas) / sizeof(*quotas))

/* which of quotas[] an instance type counts against, or -1 */
static int
quota_of(const char *type)
{
	if (strncmp(type, "vt", 2) == 0 || type[0] == 'g')
		return 1;
	if (type[0] == 'p')
		return 2;
	if (strchr("acdhimrtz", type[0]) != NULL &&
	    strncmp(type, "dl", 2) != 0 && strncmp(type, "inf", 3) != 0 &&
	    strncmp(type, "hpc", 3) != 0 && strncmp(type, "u-", 2) != 0)
		return 0;
	return -1;
}

static long long
type_vcpus(json_t *info, const char *type)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(info, "instanceTypeSet"), i, it)
		if (strcmp(json_string_value(json_object_get(it,
		    "instanceType")), type) == 0) {
			const char *v = json_string_value(json_object_get(
			    json_object_get(it, "vCpuInfo"), "defaultVCpus"));

			return v ? strtoll(v, NULL, 10) : 0;
		}
	return 0;
}

static void
check_quotas(const struct soca_conf *c, struct soca_aws *a)
{
	struct soca_aws_err e = { 0 };
	long long need[NQUOTAS] = { 0 };
	struct soca_buf open[NQUOTAS] = { { 0 } };
	bool used[NQUOTAS] = { false };
	json_t *p = json_object(), *l = json_array(), *info, *r;
	char **q, *s;
	size_t nq = soca_conf_names(c, "queue", &q);

	for (size_t i = 0; i < nq; i++) {
		const char *t = soca_conf_get(c, "queue", q[i], "instance_type");
		char *copy, *tok, *save = NULL;

		if (t == NULL || !soca_conf_bool(c, "queue", q[i], "enabled"))
			continue;
		copy = soca_xstrdup(t);
		for (tok = strtok_r(copy, "+", &save); tok;
		    tok = strtok_r(NULL, "+", &save))
			json_array_append_new(l, json_string(tok));
		free(copy);
	}
	json_object_set_new(p, "InstanceType", l);
	if (json_array_size(l) == 0 ||
	    (info = soca_aws_ec2(a, "DescribeInstanceTypes", p, &e)) == NULL) {
		s = json_array_size(l) ? soca_aws_err_str(&e) :
		    soca_xstrdup("no queue names an instance_type");
		report(ST_SKIP, "vcpu-quota", NULL, "%s", s);
		free(s);
		goto out;
	}
	for (size_t i = 0; i < nq; i++) {
		const char *t = soca_conf_get(c, "queue", q[i], "instance_type");
		long long max = soca_conf_int(c, "queue", q[i],
		    "max_provisioned_instances"), v = 0;
		char *copy, *tok, *save = NULL;
		int k = -1;

		if (t == NULL || !soca_conf_bool(c, "queue", q[i], "enabled"))
			continue;
		copy = soca_xstrdup(t);
		for (tok = strtok_r(copy, "+", &save); tok;
		    tok = strtok_r(NULL, "+", &save)) {
			long long tv = type_vcpus(info, tok);

			if (tv > v)
				v = tv;
			if (k < 0)
				k = quota_of(tok);
		}
		free(copy);
		if (k < 0)
			continue;
		used[k] = true;
		if (max > 0)
			need[k] += max * v;
		else
			soca_buf_addf(&open[k], "%s%s", open[k].len ? ", " : "",
			    q[i]);
	}
	json_decref(info);
	for (size_t k = 0; k < NQUOTAS; k++) {
		char *check;
		double have;

		if (!used[k])
			continue;
		check = soca_xasprintf("vcpu-quota %s", quotas[k].code);
		json_decref(p);
		p = json_pack("{s:s,s:s}", "ServiceCode", "ec2", "QuotaCode",
		    quotas[k].code);
		if ((r = soca_aws_call(a, "servicequotas", "GetServiceQuota", p,
		    &e)) == NULL) {
			s = soca_aws_err_str(&e);
			report(ST_WARN, check, "allow servicequotas:GetServiceQuota "
			    "to the head node role", "GetServiceQuota: %s", s);
			free(s);
			soca_aws_err_free(&e);
			e = (struct soca_aws_err){ 0 };
		} else {
			have = json_number_value(json_object_get(json_object_get(
			    r, "Quota"), "Value"));
			if ((double)need[k] > have)
				report(ST_WARN, check, "ask AWS for more (Service "
				    "Quotas, ec2) or lower the queues' "
				    "max_provisioned_instances", "%s: %.0f vCPUs, "
				    "but the queues may run %lld at once", quotas[k].name,
				    have, need[k]);
			else
				report(ST_OK, check, NULL, "%s: %.0f vCPUs; the "
				    "queues' max_provisioned_instances allow "
				    "%lld%s%s%s", quotas[k].name, have, need[k],
				    open[k].len ? " (unbounded: " : "",
				    open[k].len ? open[k].s : "",
				    open[k].len ? ")" : "");
			json_decref(r);
		}
		free(check);
	}
out:
	for (size_t k = 0; k < NQUOTAS; k++)
		soca_buf_free(&open[k]);
	soca_aws_err_free(&e);
	json_decref(p);
	soca_strv_free(q, nq);
}

static void
check_shared_fs(const struct soca_conf *c)
{
	const char *fs = soca_conf_get(c, "aws", NULL, "shared_fs");
	const char *mnt = soca_conf_get(c, "aws", NULL, "shared_fs_mount");
	struct statfs sf;
	char *fix;

	if (fs == NULL || *fs == '\0') {
		report(ST_SKIP, "shared-fs", NULL, "no [aws] shared_fs");
		return;
	}
	if (statfs(mnt, &sf) == 0 && sf.f_type == 0x6969 /* NFS */)
		report(ST_OK, "shared-fs", NULL, "%s is NFS-mounted here", mnt);
	else {
		fix = soca_xasprintf("mount -t nfs4 -o nfsvers=4.1 %s %s (and "
		    "add it to /etc/fstab)", fs, mnt);
		report(ST_WARN, "shared-fs", fix, "%s is not an NFS mount on "
		    "this host: jobs' files there will not be where the "
		    "nodes write them", mnt);
		free(fix);
	}
}

static void
check_cost(struct soca_aws *a)
{
	struct soca_aws_err e = { 0 };
	time_t now = time(NULL);
	char from[11], to[11], *s;
	json_t *p, *r;

	soca_cost_fmt_date(now - 86400, from);
	soca_cost_fmt_date(now, to);
	p = json_pack("{s:{s:s,s:s},s:s,s:[s]}", "TimePeriod", "Start", from,
	    "End", to, "Granularity", "DAILY", "Metrics", "UnblendedCost");
	if ((r = soca_aws_call(a, "ce", "GetCostAndUsage", p, &e)) != NULL)
		report(ST_OK, "cost-explorer", NULL, "GetCostAndUsage answers "
		    "(soca-budget can report)");
	else {
		s = soca_aws_err_str(&e);
		report(ST_WARN, "cost-explorer", "enable Cost Explorer and the "
		    "soca:JobProject, soca:JobOwner and soca:JobQueue cost "
		    "allocation tags in the Billing console", "GetCostAndUsage: "
		    "%s", s);
		free(s);
	}
	json_decref(r);
	json_decref(p);
	soca_aws_err_free(&e);
}

/*
 * NICE DCV on EC2 licenses itself by reading the objects of s3://dcv-license.REGION:
 * ask IAM whether the desktops' instance profile's role may (the role of
 * GetInstanceProfile, then SimulatePrincipalPolicy s3:GetObject on that
 * bucket's objects, the role's policies as IAM evaluates them).
 */
static void
check_dcv_license(const struct soca_conf *c, struct soca_aws *a)
{
	const char *prof = soca_conf_get(c, "desktop", NULL,
	    "instance_profile"), *arn, *dec, *sl;
	const char *region = soca_aws_region(a);
	struct soca_aws_err e = { 0 };
	char **v = NULL, **w = NULL, *name, *res, *fix, *s, *role;
	char part[32] = "aws";
	size_t n = soca_conf_list(c, "desktop", NULL, "images", &v);
	size_t nw = soca_conf_names(c, "desktop_image", &w);
	json_t *r, *p;

	soca_strv_free(v, n);
	soca_strv_free(w, nw);
	if (n + nw == 0) {
		report(ST_SKIP, "dcv-license", NULL, "no desktop images "
		    "([desktop] images)");
		return;
	}
	if (prof == NULL)
		prof = soca_conf_get(c, "aws", NULL, "instance_profile");
	fix = soca_xasprintf("give the desktops' instance profile's role "
	    "s3:GetObject on arn:aws:s3:::dcv-license.%s/* (deploy/soca.yaml's "
	    "DcvLicense statement)", region);
	if (prof == NULL) {
		report(ST_FAIL, "dcv-license", "set [desktop] instance_profile "
		    "to a profile whose role may read s3://dcv-license.REGION/*",
		    "desktops have no instance profile: NICE DCV cannot read its "
		    "license from s3://dcv-license.%s/", region);
		free(fix);
		return;
	}
	/* a name, or an ARN (.../instance-profile/PATH/NAME) */
	name = soca_xstrdup((sl = strrchr(prof, '/')) ? sl + 1 : prof);
	p = json_pack("{s:s}", "InstanceProfileName", name);
	r = soca_aws_query(a, "iam", "2010-05-08", "GetInstanceProfile", p, &e);
	json_decref(p);
	arn = json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(r, "InstanceProfile"), "Roles"), 0), "Arn"));
	if (r == NULL || arn == NULL) {
		s = r ? soca_xstrdup("it has no role") : soca_aws_err_str(&e);
		report(e.code && strcmp(e.code, "NoSuchEntity") == 0 ? ST_FAIL :
		    ST_WARN, "dcv-license", e.code && strcmp(e.code,
		    "AccessDenied") == 0 ? "allow iam:GetInstanceProfile and "
		    "iam:SimulatePrincipalPolicy to the head node role "
		    "(deploy/soca.yaml)" : fix, "instance profile %s: %s", name,
		    s);
		free(s);
		goto out;
	}
	if (sscanf(arn, "arn:%31[^:]:", part) != 1)
		snprintf(part, sizeof(part), "aws");
	res = soca_xasprintf("arn:%s:s3:::dcv-license.%s/*", part, region);
	role = soca_xstrdup(arn);
	p = json_pack("{s:s, s:{s:[s]}, s:{s:[s]}}", "PolicySourceArn", role,
	    "ActionNames", "member", "s3:GetObject", "ResourceArns", "member",
	    res);
	json_decref(r);
	r = soca_aws_query(a, "iam", "2010-05-08", "SimulatePrincipalPolicy",
	    p, &e);
	json_decref(p);
	dec = json_string_value(json_object_get(json_array_get(json_object_get(
	    r, "EvaluationResults"), 0), "EvalDecision"));
	if (r == NULL) {
		s = soca_aws_err_str(&e);
		report(ST_WARN, "dcv-license", e.code && strcmp(e.code,
		    "AccessDenied") == 0 ? "allow iam:SimulatePrincipalPolicy "
		    "to the head node role (deploy/soca.yaml)" : NULL,
		    "cannot ask IAM about %s: %s", role, s);
		free(s);
	} else if (dec && strcmp(dec, "allowed") == 0)
		report(ST_OK, "dcv-license", NULL, "role %s may read %s (NICE "
		    "DCV's license)", role, res);
	else
		report(ST_FAIL, "dcv-license", fix, "role %s of instance profile "
		    "%s may not s3:GetObject %s (IAM: %s): NICE DCV on the "
		    "desktops will find no license", role, name, res,
		    dec ? dec : "no decision");
	free(res);
	free(role);
out:
	json_decref(r);
	soca_aws_err_free(&e);
	free(name);
	free(fix);
}

static void
fsx_kept(void *arg, const char *id, const char *why)
{
	(*(size_t *)arg)++;
	report(ST_WARN, "fsx", "finish by hand (soca-node-down(1), FSx "
	    "exports), then aws fsx delete-file-system --file-system-id ID",
	    "%s: %s: the reaper keeps it, the job's results are only there",
	    id, why);
}

/* file systems the reaper keeps for an admin: an export failed, timed out */
static void
check_fsx(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_aws *a)
{
	struct soca_aws_err e = { 0 };
	size_t n = 0;
	char *s;

	if (!soca_conf_bool(c, "aws", NULL, "fsx") || sp == NULL) {
		report(ST_SKIP, "fsx", NULL, sp ? "[aws] fsx = no" : "no spool");
		return;
	}
	if (soca_fsx_kept(c, sp, a, fsx_kept, &n, &e) < 0) {
		s = soca_aws_err_str(&e);
		report(ST_WARN, "fsx", "allow fsx:DescribeFileSystems and "
		    "fsx:DescribeDataRepositoryTasks to the head node role "
		    "(deploy/soca.yaml)", "%s", s);
		free(s);
		soca_aws_err_free(&e);
	} else if (n == 0)
		report(ST_OK, "fsx", NULL, "no job's file system waits for an "
		    "administrator");
}

static void
check_aws(const struct soca_conf *c, struct soca_spool *sp)
{
	const char *cluster = soca_conf_get(c, "cluster", NULL, "name");
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v;
	struct soca_aws *a;
	char **q, **seen = NULL, *s;
	size_t n, nq, nseen = 0;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0) {
		report(ST_SKIP, "aws", NULL, "provider = local: jobs run on "
		    "this host");
		return;
	}
	if ((a = soca_aws_open(c, &e)) == NULL) {
		s = soca_aws_err_str(&e);
		report(ST_FAIL, "aws", "give the head node an instance role, or "
		    "set [aws] profile / AWS_* variables", "%s", s);
		free(s);
		soca_aws_err_free(&e);
		return;
	}
	report(ST_OK, "aws", NULL, "region %s, credentials found",
	    soca_aws_region(a));
	if (soca_aws_describe(a, cluster, false, &v, &n, &e) < 0) {
		s = soca_aws_err_str(&e);
		report(ST_FAIL, "instances", "allow ec2:DescribeInstances to "
		    "the head node role (deploy/soca.yaml)", "DescribeInstances: "
		    "%s", s);
		free(s);
		soca_aws_err_free(&e);
	} else {
		report(ST_OK, "instances", NULL, "%zu instance%s tagged "
		    "soca:ClusterId=%s", n, n == 1 ? "" : "s", cluster);
		soca_ec2_inst_free(v, n);
	}
	check_ami(c, soca_conf_get(c, "aws", NULL, "ami"), &seen, &nseen);
	nq = soca_conf_names(c, "queue", &q);
	for (size_t i = 0; i < nq; i++)
		if (soca_conf_isset(c, "queue", q[i], "instance_ami"))
			check_ami(c, soca_conf_get(c, "queue", q[i],
			    "instance_ami"), &seen, &nseen);
	if (sp == NULL)
		report(ST_SKIP, "queues", NULL, "no spool to keep the DryRun "
		    "answers in (soca-spool init)");
	else
		for (size_t i = 0; i < nq; i++)
			check_queue(c, sp, q[i]);
	soca_strv_free(q, nq);
	soca_strv_free(seen, nseen);
	check_quotas(c, a);
	check_shared_fs(c);
	check_fsx(c, sp, a);
	check_dcv_license(c, a);
	check_cost(a);
	soca_aws_free(a);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 } };
	enum soca_out_fmt fmt = SOCA_OUT_TABLE;
	const char *conf = NULL, *sel = NULL;
	struct soca_spool *sp = NULL;
	struct soca_conf *c;
	bool noheads = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:hJno:q", lo, NULL)) != -1)
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'C': fmt = SOCA_OUT_CSV; break;
		case 'h': usage(0);
		case 'J': fmt = SOCA_OUT_JSON; break;
		case 'n': noheads = true; break;
		case 'o': sel = optarg; break;
		case 'q': quiet = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (optind != argc)
		usage(SOCA_EX_USAGE);
	if (!soca_out_select_ok(cols, NCOLS, sel))
		return SOCA_EX_USAGE;
	out = soca_out_new(cols, NCOLS, fmt, noheads, sel, stdout);
	if ((c = check_conf(conf)) != NULL) {
		if ((sp = check_spool(c)) != NULL) {
			check_leftovers(sp);
			check_dispatcher(sp);
		}
		check_slurm(c);
		check_ldap(c);
		check_aws(c, sp);
	}
	if (quiet && nshown == 0)	/* all well: silent, as cron likes */
		soca_out_free(out);
	else if (soca_out_end(out) < 0)	/* and frees it */
		err(SOCA_EX_TEMP, "stdout");
	if (sp)
		soca_spool_close(sp);
	soca_conf_free(c);
	if (fmt == SOCA_OUT_TABLE && !quiet)
		fprintf(stderr, "soca-doctor: %d ok, %d warning%s, %d failed\n",
		    nok, nwarn, nwarn == 1 ? "" : "s", nfail);
	return nfail ? SOCA_EX_FALSE : SOCA_EX_OK;
}
