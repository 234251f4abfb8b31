/*
 * aws_share.c: job-shared instances, for queues with scaling_mode =
 * multiple_jobs.  A single-node job of such a queue is launched as usual
 * but tagged soca:ResourceHash, the fingerprint of everything that shapes
 * its instance (queue, type, AMI, subnets, Spot, volumes, network, ...).
 * When the job ends its node does not stop: soca-node-run writes
 * aws/inst/INSTANCE-ID in the spool,
 *
 *   idle HASH     waiting since the file's mtime
 *   job N         the dispatcher gave it job N (no AWS call at all)
 *   busy N        the node runs job N
 *   gone          the node left, idle terminate_when_idle minutes
 *
 * and polls it.  The dispatcher, for a job with the same hash, turns an
 * "idle" file into "job N" instead of launching; the node runs the job
 * and goes idle again.  A node idle for terminate_when_idle minutes
 * says "gone" and exits; the reaper terminates an instance whose node is
 * gone or idle that long (removing its file), never one that is busy.  Every read
 * and change of these files is made under the spool's state lock, so a
 * node leaving, a dispatcher giving it a job and the reaper taking it
 * never cross.  Idle time is the spool's clock (file mtimes on the shared
 * filesystem), the same for nodes and reaper.  A keep_forever queue's
 * node never leaves.  Multi-node jobs are never shared: they get their
 * own instances, terminated when they end.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "provider.h"
#include "provider_aws.h"

#define POLL_US 500000

/* what shapes an instance; equal values, equal instances */
static const char *const shape[] = {
	"instance_type", "instance_ami", "base_os", "subnet_id", "spot_price",
	"spot_allocation_count", "spot_allocation_strategy", "placement_group",
	"ht_support", "efa_support", "root_size", "scratch_size",
	"scratch_iops", "keep_ebs", "security_groups", "instance_profile",
	"nodes",
};

bool
soca_aws_shared(const struct soca_conf *c, const struct soca_job *j)
{
	const char *m = soca_conf_get(c, "queue", j->queue, "scaling_mode");

	return m && strcmp(m, "multiple_jobs") == 0 &&
	    soca_job_res_int(j, "nodes", 1) == 1;
}

/* 16 hex digits of SHA-256 over the queue and the shaping resources */
char *
soca_aws_res_hash(const struct soca_conf *c, const struct soca_job *j)
{
	struct soca_buf b = { 0 };
	char h[65];

	soca_buf_addf(&b, "queue=%s\n", j->queue);
	soca_buf_addf(&b, "ami=%s\n", soca_conf_get(c, "aws", NULL, "ami") ?
	    soca_conf_get(c, "aws", NULL, "ami") : "");
	for (size_t i = 0; i < sizeof(shape) / sizeof(*shape); i++) {
		const char *v = soca_job_res(j, shape[i]);

		soca_buf_addf(&b, "%s=%s\n", shape[i], v ? v : "");
	}
	soca_aws_sha256_hex(b.s, b.len, h);
	soca_buf_free(&b);
	h[16] = '\0';
	return soca_xstrdup(h);
}

static char *
inst_path(struct soca_spool *sp, const char *iid)
{
	return soca_xasprintf("%s/aws/inst/%s", soca_spool_dir(sp), iid);
}

/* The file's line and mtime; -1 when it is not there. */
static int
inst_read(struct soca_spool *sp, const char *iid, char *line, size_t sz,
    time_t *mtime)
{
	char *p = inst_path(sp, iid);
	struct stat st;
	FILE *f = fopen(p, "r");

	free(p);
	line[0] = '\0';
	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) == 0 && mtime)
		*mtime = st.st_mtime;
	if (fgets(line, (int)sz, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return 0;
}

static int
inst_write(struct soca_spool *sp, const char *iid, const char *line)
{
	char *d = soca_xasprintf("%s/aws", soca_spool_dir(sp)), *p;
	char *s = soca_xasprintf("%s\n", line);
	int r;

	mkdir(d, 02770);
	free(d);
	d = soca_xasprintf("%s/aws/inst", soca_spool_dir(sp));
	mkdir(d, 02770);
	free(d);
	p = inst_path(sp, iid);
	r = soca_write_atomic(p, s, strlen(s), 0660);
	free(p);
	free(s);
	return r;
}

static void
inst_remove(struct soca_spool *sp, const char *iid)
{
	char *p = inst_path(sp, iid);

	unlink(p);
	free(p);
}

/* soca-node-ls: the instance's line ("idle HASH", "busy 3", ...) or NULL */
char *
soca_aws_inst_state(struct soca_spool *sp, const char *iid)
{
	char line[128];

	if (sp == NULL || inst_read(sp, iid, line, sizeof(line), NULL) < 0)
		return NULL;
	return soca_xstrdup(line);
}

/*
 * Dispatcher: hand job j to an idle instance of its shape.  The
 * instance id (the job is now that instance's), or NULL: launch.
 */
char *
soca_aws_claim(const struct soca_conf *c, struct soca_spool *sp,
    const struct soca_job *j)
{
	char *dir, *hash, *want, *got = NULL, line[128], job[64];
	DIR *d;
	struct dirent *de;

	if (!soca_aws_shared(c, j))
		return NULL;
	dir = soca_xasprintf("%s/aws/inst", soca_spool_dir(sp));
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	hash = soca_aws_res_hash(c, j);
	want = soca_xasprintf("idle %s", hash);
	snprintf(job, sizeof(job), "job %lld", j->id);
	if (soca_spool_lock(sp) == 0) {
		while (got == NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || inst_read(sp, de->d_name,
			    line, sizeof(line), NULL) < 0 ||
			    strcmp(line, want) != 0)
				continue;
			if (inst_write(sp, de->d_name, job) == 0)
				got = soca_xstrdup(de->d_name);
		}
		soca_spool_unlock(sp);
	}
	closedir(d);
	free(want);
	free(hash);
	free(dir);
	return got;
}

/*
 * Node: job `first` has ended on this instance; serve the jobs the
 * dispatcher hands it until it has been idle terminate_when_idle
 * minutes or the reaper took it.  0, or -1 when IMDS cannot say who
 * this instance is.
 */
int
soca_aws_node_serve(const struct soca_conf *c, struct soca_spool *sp,
    long long first)
{
	static const char *const key[] = { "instance-id" };
	struct soca_job j;
	char *iid, *hash, *idle, line[128];
	long long twi, next;
	time_t since;

	if (soca_spool_load(sp, first, &j) < 0)
		return 0;
	if (!soca_aws_shared(c, &j)) {
		soca_job_free(&j);
		return 0;
	}
	if (soca_imds_get(key, &iid, 1) < 0) {
		soca_job_free(&j);
		return -1;
	}
	twi = soca_conf_int(c, "queue", j.queue, "terminate_when_idle") * 60;
	if (soca_conf_bool(c, "queue", j.queue, "keep_forever"))
		twi = INT32_MAX;	/* kept: serve for as long as it lives */
	hash = soca_aws_res_hash(c, &j);
	idle = soca_xasprintf("idle %s", hash);
	soca_job_free(&j);
	for (;;) {
		next = 0;
		if (soca_spool_lock(sp) < 0)
			break;
		if (inst_write(sp, iid, idle) < 0) {
			soca_spool_unlock(sp);
			break;
		}
		soca_spool_unlock(sp);
		while (next == 0) {
			usleep(POLL_US);
			/* look without the lock; take it only to act */
			since = 0;
			if (inst_read(sp, iid, line, sizeof(line), &since) == 0 &&
			    strcmp(line, idle) == 0 && time(NULL) - since < twi)
				continue;
			if (soca_spool_lock(sp) < 0)
				goto out;
			since = 0;
			if (inst_read(sp, iid, line, sizeof(line), &since) < 0) {
				soca_spool_unlock(sp);	/* reaped */
				goto out;
			}
			if (strncmp(line, "job ", 4) == 0 &&
			    (next = strtoll(line + 4, NULL, 10)) > 0) {
				snprintf(line, sizeof(line), "busy %lld", next);
				inst_write(sp, iid, line);
			} else if (strcmp(line, idle) == 0 &&
			    time(NULL) - since >= twi) {
				inst_write(sp, iid, "gone");
				soca_spool_unlock(sp);
				goto out;
			}
			soca_spool_unlock(sp);
		}
		soca_run_job(c, sp, next);
	}
out:
	free(idle);
	free(hash);
	free(iid);
	return 0;
}

/*
 * Reaper: may shared instance iid go?  Yes when its node left ("gone"),
 * has been idle terminate_when_idle minutes, or never came back after
 * its job (no file since `ended`, when its launch job ended; or a job
 * handed to it is over while the file still says so).  The file is
 * removed under the lock, so no job is handed to it after.  *why says
 * how long it was idle.  A job handed to it and still not picked up
 * after [aws] boot_timeout means its node is dead: the instance goes and
 * *lost is that job, for the caller to requeue.
 */
bool
soca_aws_idle(const struct soca_conf *c, struct soca_spool *sp,
    const char *iid, const char *queue, time_t ended, char **why,
    long long *lost)
{
	long long twi = soca_conf_int(c, "queue", queue, "terminate_when_idle");
	long long boot = soca_conf_int(c, "aws", NULL, "boot_timeout");
	char line[128];
	time_t since = 0, now = time(NULL);
	struct soca_job j;
	bool go = false, busy;

	*lost = 0;
	if (soca_spool_lock(sp) < 0)
		return false;
	if (inst_read(sp, iid, line, sizeof(line), &since) < 0)
		since = ended;		/* not back yet, or gone */
	else if ((busy = strncmp(line, "busy ", 5) == 0 ||
	    strncmp(line, "job ", 4) == 0)) {
		/* busy unless that job is over and the node never came back */
		if (soca_spool_load(sp, strtoll(strchr(line, ' ') + 1, NULL,
		    10), &j) == 0) {
			busy = j.state <= SOCA_RUNNING;
			if (j.end > since)
				since = j.end;
			/* handed over, never picked up: the node is dead */
			if (line[0] == 'j' && j.state == SOCA_PROVISIONING &&
			    now - since >= boot) {
				busy = false;
				*lost = j.id;
				since = 0;
				*why = soca_xasprintf("job %lld not picked up "
				    "within boot_timeout (%llds)", j.id, boot);
			}
			soca_job_free(&j);
		}
		if (busy) {
			soca_spool_unlock(sp);
			return false;
		}
	}
	if (*lost) {
		inst_remove(sp, iid);
		soca_spool_unlock(sp);
		return true;
	}
	if (strcmp(line, "gone") == 0) {
		go = true;
		*why = soca_xasprintf("idle: its node left after "
		    "terminate_when_idle (%lld min)", twi);
	} else if (now - since >= twi * 60) {
		go = true;
		*why = soca_xasprintf("idle %lld min (terminate_when_idle %lld)",
		    (long long)(now - since) / 60, twi);
	}
	if (go)
		inst_remove(sp, iid);
	soca_spool_unlock(sp);
	return go;
}
