/*
 * soca-node-run: run one job on this node as its owner and record the
 * outcome.  Started by the provider (the local provider runs it here,
 * detached; on AWS the instance's user data does).  Exits 0 when the job
 * ran, whatever its own exit status, which soca-stat shows.  On AWS
 * without an id (an instance of a CreateFleet launch, whose launch
 * template's user data is the same for every job) the job is the
 * instance's soca:JobId tag, read from IMDS; in a queue with
 * scaling_mode = multiple_jobs the node then serves later jobs handed to
 * it until it has been idle terminate_when_idle minutes.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "provider_aws.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-node-run [id]\n"
    "       soca-node-run --fail reason [id]\n"
    "       soca-node-run --slurmd\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* No id given: the instance's soca:JobId tag (IMDS, InstanceMetadataTags) */
static char *
tagged_job(const struct soca_conf *c)
{
	static const char *const key[] = { "tags/instance/soca:JobId" };
	char *v;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0)
		usage(SOCA_EX_USAGE);
	if (soca_imds_get(key, &v, 1) < 0)
		errx(SOCA_EX_TEMP, "no job id given and IMDS has no soca:JobId "
		    "tag for this instance: give the id, or enable "
		    "InstanceMetadataTags in the launch template");
	return v;
}

/* soca_run_job() failed: say why, the exit code */
static int
run_failed(long long id)
{
	switch (errno) {
	case EWOULDBLOCK:
		warnx("job %lld: another runner has it", id);
		return SOCA_EX_FALSE;
	case EALREADY:
		warnx("job %lld: not waiting to run", id);
		return SOCA_EX_FALSE;
	case EPERM:
		warnx("job %lld: belongs to another user (run soca-node-run "
		    "as root)", id);
		return SOCA_EX_USAGE;
	default:
		warn("job %lld", id);
		return SOCA_EX_FALSE;
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "fail", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "slurmd", no_argument, NULL, 'S' }, { NULL, 0, NULL, 0 } };
	const char *failed = NULL;
	struct soca_conf *c;
	struct soca_spool *sp;
	long long id;
	char *tag = NULL;
	const char *arg;
	int rc;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		switch (ch) {
		case 'F': failed = optarg; break;
		case 'h': usage(0);
		case 'S': soca_slurm_boot();
		default: usage(SOCA_EX_USAGE);
		}
	if (argc - optind > 1)
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (argc == optind)
		arg = tag = tagged_job(c);
	else
		arg = argv[optind];
	if (soca_job_id(arg, &id) != 0) {
		warnx("%s: not a job id (ids are numbers, e.g. "
		    "42 or 42.server)", arg);
		free(tag);
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	free(tag);
	if ((sp = soca_spool_open(c, false)) == NULL) {
		warnx("job %lld: no spool at %s", id,
		    soca_conf_get(c, "cluster", NULL, "spool"));
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	if (failed != NULL) {	/* the node cannot run it: say why */
		rc = soca_run_fail(sp, id, failed) == 0 ? SOCA_EX_OK :
		    SOCA_EX_FALSE;
		if (rc != SOCA_EX_OK)
			warnx("job %lld: not waiting to run", id);
		soca_spool_close(sp);
		soca_conf_free(c);
		return rc;
	}
	if (soca_run_job(c, sp, id) < 0) {
		rc = run_failed(id);
		soca_spool_close(sp);
		soca_conf_free(c);
		return rc;
	}
	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") == 0 &&
	    soca_aws_node_serve(c, sp, id) < 0)
		errx(SOCA_EX_TEMP, "job %lld: ran, but IMDS does not say which "
		    "instance this is, so no later job can be handed to it", id);
	soca_spool_close(sp);
	soca_conf_free(c);
	return SOCA_EX_OK;
}
