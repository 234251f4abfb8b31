/*
 * qstat: PBS's qstat over soca-stat -f -J.  Jobs in PBS Professional's
 * forms: the default table, -a (with -n, -s, -w), -f "Job Id:" blocks,
 * -F json; queues (-Q) and the server (-B), from soca's configuration and
 * the jobs.  Operands are job ids (42, 42.server) or queues (queue,
 * queue@server).  A job id soca does not know: "Unknown Job Id", 153; a
 * finished job without -x or -H: 35, as PBS says.  Job arrays as PBS
 * shows them: the array ID[] (B once a subjob began), its subjobs
 * ID[INDEX] with -t (soca-stat -t; X once ended), -J arrays alone (with
 * -t their subjobs alone); -f of an array has PBS's array attributes,
 * for which its subjobs are read too.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pbs.h"

static const char usage_text[] =
    "usage: qstat [-fJtx] [-F json] [job_identifier | destination ...]\n"
    "       qstat [-a|-i|-r|-H] [-1nJstwx] [-u user_list] "
    "[job_identifier | destination ...]\n"
    "       qstat -Q [-f] [-F json] [destination ...]\n"
    "       qstat -B [-f] [-F json]\n"
    "       qstat --version\n";

struct qs {
	bool alt, full, json, hist, fin, queued, running, nodes, comment, wide;
	bool subjobs, oneline, arrays;
	json_t *all;
	char **users, **queues;
	size_t nusers, nqueues;
	const struct soca_conf *c;
	long long now;
	bool header;
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* PBS cuts a long field and marks the cut with '*' */
static void
field(const char *s, int w, bool left, bool last)
{
	int n = (int)strlen(s ? s : "");

	s = s ? s : "";
	if (n > w)
		printf("%.*s*", w - 1, s);
	else if (left)
		printf("%-*s", last ? 0 : w, s);
	else
		printf("%*s", w, s);
}

static void
hhmm(char *b, size_t n, long long s, bool secs)
{
	if (s < 0) {
		snprintf(b, n, "--");
		return;
	}
	if (secs)
		snprintf(b, n, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(b, n, "%02lld:%02lld", s / 3600, s / 60 % 60);
}

static bool
wanted(const struct qs *q, json_t *j)
{
	char st = soca_pbs_state(j, q->now);
	const char *user = soca_pbs_str(j, "user");
	const char *queue = soca_pbs_str(j, "queue");
	bool ok;

	if (soca_pbs_is_subjob(j) ? !q->subjobs : soca_pbs_is_array(j) ?
	    q->arrays && q->subjobs : q->arrays)
		return false;	/* -J: arrays alone; -t: with subjobs */
	if ((st == 'F' && !q->hist) || (q->fin && !soca_pbs_finished(j)) ||
	    (q->queued && !strchr("QHW", st)) || (q->running && st != 'R'))
		return false;
	ok = q->nusers == 0;
	for (size_t i = 0; i < q->nusers && !ok; i++) {
		size_t k = strcspn(q->users[i], "@");

		ok = user && strlen(user) == k &&
		    strncmp(q->users[i], user, k) == 0;
	}
	if (!ok || q->nqueues == 0)
		return ok;
	for (size_t i = 0; i < q->nqueues; i++)
		if (queue && strcmp(q->queues[i], queue) == 0)
			return true;
	return false;
}

static void
table_row(struct qs *q, json_t *j)
{
	char *id = soca_pbs_id(q->c, j), st = soca_pbs_state(j, q->now);
	char *cput = soca_pbs_cput(j);

	if (!q->header) {
		puts("Job id            Name             User              "
		    "Time Use S Queue");
		puts("----------------  ---------------- ----------------  "
		    "-------- - -----");
		q->header = true;
	}
	field(id, 16, true, false);
	fputs("  ", stdout);
	field(soca_pbs_str(j, "name"), 16, true, false);
	putchar(' ');
	field(soca_pbs_str(j, "user"), 16, true, false);
	fputs("  ", stdout);
	field(cput ? cput : "0", 8, false, false);	/* "0": not run */
	printf(" %c ", st);
	fputs(soca_pbs_str(j, "queue"), stdout);
	putchar('\n');
	free(cput);
	free(id);
}

/* -a's columns: Job ID, Username, Queue, Jobname, SessID, NDS, TSK,
 * Memory, Req'd Time, S, Elap Time */
static const int narrow[] = { 15, 8, 8, 10, 6, 3, 3, 6, 5, 1, 5 };
static const int wide[] = { 30, 15, 15, 15, 8, 4, 5, 6, 5, 1, 5 };
static const char *const heads[] = { "Job ID", "Username", "Queue",
    "Jobname", "SessID", "NDS", "TSK", "Memory", "Time", "S", "Time" };

static void
alt_header(struct qs *q)
{
	const int *w = q->wide ? wide : narrow;
	int pre = 0;

	printf("\n%s: \n", soca_pbs_server(q->c));
	for (int i = 0; i < 7; i++)
		pre += w[i] + 1;
	printf("%*sReq'd  Req'd   Elap\n", pre, "");
	for (int i = 0; i < 10; i++)
		printf("%-*s ", w[i], heads[i]);
	printf("%s\n", heads[10]);
	for (int i = 0; i < 11; i++) {
		for (int k = 0; k < w[i]; k++)
			putchar('-');
		putchar(i < 10 ? ' ' : '\n');
	}
	q->header = true;
}

static void
alt_row(struct qs *q, json_t *j, json_t *a)
{
	const int *w = q->wide ? wide : narrow;
	json_t *rl = json_object_get(a, "Resource_List");
	char *id = soca_pbs_id(q->c, j), nds[32], tsk[32], sess[32], req[32];
	char el[32], st[2] = { soca_pbs_state(j, q->now), '\0' };
	const char *mem = json_string_value(json_object_get(rl, "mem"));
	const char *wall = json_string_value(json_object_get(rl, "walltime"));
	long long secs = -1, start = soca_pbs_int(j, "start");
	long long end = soca_pbs_int(j, "end");
	const char *v[11];

	if (!q->header)
		alt_header(q);
	snprintf(nds, sizeof(nds), "%lld", (long long)json_integer_value(
	    json_object_get(rl, "nodect")));
	snprintf(tsk, sizeof(tsk), "%lld", (long long)json_integer_value(
	    json_object_get(rl, "ncpus")));
	snprintf(sess, sizeof(sess), "%lld", soca_pbs_int(j, "pgid"));
	if (wall == NULL || soca_parse_duration(wall, &secs) != 0)
		secs = -1;
	hhmm(req, sizeof(req), secs, false);
	hhmm(el, sizeof(el), start > 0 && st[0] != 'Q' ? (end ? end :
	    q->now) - start : -1, false);
	v[0] = id, v[1] = soca_pbs_str(j, "user"), v[2] = soca_pbs_str(j,
	    "queue"), v[3] = soca_pbs_str(j, "name");
	v[4] = soca_pbs_int(j, "pgid") > 0 ? sess : "--";
	v[5] = nds, v[6] = tsk, v[7] = mem ? mem : "--", v[8] = req;
	v[9] = st, v[10] = el;
	for (int i = 0; i < 11; i++) {
		field(v[i], w[i], i < 4, i == 10);
		if (i < 10)
			putchar(' ');
	}
	/* -n, -s: on lines of their own, or with -1 on the row's */
	if (q->nodes)
		printf("%s%s", q->oneline ? " " : "\n   ", st[0] == 'R' &&
		    json_object_get(a, "exec_host") ? json_string_value(
		    json_object_get(a, "exec_host")) : "--");
	if (q->comment)
		printf("%s%s", q->oneline ? " " : "\n   ", soca_pbs_str(j,
		    "reason") ? soca_pbs_str(j, "reason") : "--");
	putchar('\n');
	free(id);
}

/* one job, in the chosen form; json: into out */
static void
show(struct qs *q, json_t *j, json_t *out)
{
	json_t *a = soca_pbs_attrs(q->c, j, q->now);
	char *id = soca_pbs_id(q->c, j);

	if (soca_pbs_is_array(j))
		soca_pbs_array_attrs(a, j, q->all);
	if (q->json)
		json_object_set(out, id, a);
	else if (q->full)
		soca_pbs_block("Job Id", id, a, !q->wide);
	else if (q->alt)
		alt_row(q, j, a);
	else
		table_row(q, j);
	json_decref(a);
	free(id);
}

/* a job named as an operand; an array's subjobs too with -t (alone with
 * -J -t), as PBS's qstat -t 42[] */
static void
named(struct qs *q, json_t *j, json_t *out)
{
	size_t i;
	json_t *s;

	if (!(soca_pbs_is_array(j) && q->arrays && q->subjobs))
		show(q, j, out);
	if (!soca_pbs_is_array(j) || !q->subjobs)
		return;
	json_array_foreach(q->all, i, s)
		if (soca_pbs_is_subjob(s) && soca_pbs_int(s, "array_id") ==
		    soca_pbs_int(j, "id"))
			show(q, s, out);
}

/* a job id (digits first) or a queue (queue, queue@server, @server) */
static bool
is_id(const char *s)
{
	return isdigit((unsigned char)s[0]);
}

static int
jobs(struct qs *q, char **ops, size_t nops)
{
	char **ids = soca_xcalloc(nops + 1, sizeof(*ids));
	size_t n = 0, i;
	json_t *all, *j, *out = json_object();
	int rc = SOCA_EX_OK, r;

	soca_pbs_no_ranges(ops, nops);
	for (i = 0; i < nops; i++)
		if (is_id(ops[i]))
			ids[n++] = ops[i];
		else if (ops[i][0] != '@') {
			char *name = soca_xstrndup(ops[i], strcspn(ops[i],
			    "@"));

			if (!soca_conf_has_section(q->c, "queue", name)) {
				warnx("Unknown queue destination %s", ops[i]);
				free(name);
				rc = SOCA_PBS_UNKQUE;
				continue;
			}
			q->queues = soca_xreallocarray(q->queues,
			    q->nqueues + 1, sizeof(*q->queues));
			q->queues[q->nqueues++] = name;
		}
	all = soca_pbs_jobs(ids, n, q->hist || n > 0, q->subjobs || q->full,
	    &r);
	q->all = all;
	if (r != SOCA_EX_OK)
		rc = r;
	if (n > 0)
		for (i = 0; i < n; i++) {
			j = soca_pbs_find(all, ids[i]);
			if (j == NULL) {
				warnx("Unknown Job Id %s", ids[i]);
				rc = SOCA_PBS_UNKJOB;
			} else if (!q->hist && soca_pbs_state(j, q->now) ==
			    'F') {
				warnx("%s Job has finished, use -x or -H to "
				    "obtain historical job information", ids[i]);
				rc = SOCA_PBS_HISTJOB;
			} else
				named(q, j, out);
		}
	else if (rc != SOCA_PBS_UNKQUE || q->nqueues > 0)
		json_array_foreach(all, i, j)
			if (wanted(q, j))
				show(q, j, out);
	if (q->json)
		soca_pbs_json(q->c, q->now, "Jobs", out);
	json_decref(out);
	json_decref(all);
	free(ids);
	return rc;
}

static void
format(struct qs *q, const char *f)
{
	if (strcmp(f, "json") != 0)
		errx(SOCA_EX_USAGE, "-F %s: not a format soca's qstat writes "
		    "(write -F json)", f);
	q->json = q->full = true;
}

static void
users(struct qs *q, const char *v)
{
	soca_strv_free(q->users, q->nusers);
	if (soca_split_list(v, &q->users, &q->nusers) != 0)
		errx(SOCA_EX_USAGE, "-u %s: an empty name (write -u "
		    "user[,user...])", v);
	q->alt = true;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct qs q = { 0 };
	struct soca_conf *c;
	bool queues = false, server = false;
	int ch, rc;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	while ((ch = getopt_long(argc, argv, "1aBD:EfF:GhHiJMnpqQrstTu:wWx",
	    lo, NULL)) != -1)
		switch (ch) {
		case '1': q.oneline = true; break;
		case 'a': q.alt = true; break;
		case 'B': server = true; break;
		case 'f': q.full = true; break;
		case 'F': format(&q, optarg); break;
		case 'h': usage(SOCA_EX_OK);
		case 'H': q.hist = q.fin = q.alt = true; break;
		case 'i': q.queued = q.alt = true; break;
		case 'J': q.arrays = true; break;
		case 'n': q.nodes = q.alt = true; break;
		case 'Q': queues = true; break;
		case 'r': q.running = q.alt = true; break;
		case 's': q.comment = q.alt = true; break;
		case 't': q.subjobs = true; break;
		case 'u': users(&q, optarg); break;
		case 'w': q.wide = true; break;
		case 'x': q.hist = true; break;
		case '?': usage(SOCA_EX_USAGE);
		default:
			errx(SOCA_EX_USAGE, "-%c: not a qstat option soca "
			    "takes (%s); remove it", ch, ch == 'G' ||
			    ch == 'M' ? "sizes are shown as recorded" :
			    ch == 'p' ? "soca does not track completion" :
			    ch == 'q' ? "use -Q for queues" :
			    ch == 'T' ? "soca does not estimate start times" :
			    "see qstat(1)");
		}
	if (q.full && q.alt && !q.json)
		errx(SOCA_EX_USAGE, "-f and -a (-i, -n, -r, -s, -u, -H) are two "
		    "formats; give one");
	if ((queues || server) && (q.alt || q.hist || q.subjobs || q.arrays))
		errx(SOCA_EX_USAGE, "-%c lists %s; -a, -H, -i, -J, -n, -r, "
		    "-s, -t, -u and -x are for jobs", queues ? 'Q' : 'B', queues ?
		    "queues" : "the server");
	c = soca_conf_must();
	q.c = c;
	q.now = time(NULL);
	if (queues || server) {
		int r;
		json_t *all = soca_pbs_jobs(NULL, 0, false, false, &r);

		rc = soca_pbs_status(c, all, argv + optind,
		    (size_t)(argc - optind), q.full, q.json, server, q.now);
		json_decref(all);
		rc = rc ? rc : r;
	} else
		rc = jobs(&q, argv + optind, (size_t)(argc - optind));
	soca_strv_free(q.users, q.nusers);
	soca_strv_free(q.queues, q.nqueues);
	soca_conf_free(c);
	return rc;
}
