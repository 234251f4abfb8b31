/*
 * pbs_queue.c: qstat -Q and -B, queues and the server as PBS Professional
 * shows them, from soca's configuration ([queue "x"] sections, with the
 * queues soca ships when there are none) and the active jobs' states.
 * Max is the queue's max_running_jobs (0: no limit, as PBS writes it);
 * Trn and Ext are always 0 (soca has no such states); Begun counts the
 * job arrays with a subjob begun (PBS's B), in the total too.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pbs.h"

/* Q H W R counts of the jobs in queue q (NULL: all), the total, B */
static void
counts(json_t *jobs, const char *q, long long now, long long n[6])
{
	static const char letters[] = "QHWR";
	size_t i;
	json_t *j;

	memset(n, 0, 6 * sizeof(*n));
	json_array_foreach(jobs, i, j) {
		const char *jq = soca_pbs_str(j, "queue");
		char st = soca_pbs_state(j, now);
		const char *p = strchr(letters, st);

		if ((p == NULL && st != 'B') || (q && (jq == NULL ||
		    strcmp(q, jq) != 0)))
			continue;
		n[p ? p - letters : 5]++;
		n[4]++;
	}
}

static char *
state_count(const long long n[6])
{
	return soca_xasprintf("Transit:0 Queued:%lld Held:%lld Waiting:%lld "
	    "Running:%lld Exiting:0 Begun:%lld ", n[0], n[1], n[2], n[3],
	    n[5]);
}

static json_t *
queue_attrs(const struct soca_conf *c, const char *q, const long long n[6])
{
	json_t *o = json_object(), *def = json_object();
	const struct soca_section_schema *qs = soca_schema_section("queue");
	char *sc = state_count(n);

	json_object_set_new(o, "queue_type", json_string("Execution"));
	json_object_set_new(o, "total_jobs", json_integer(n[4]));
	json_object_set_new(o, "state_count", json_string(sc));
	free(sc);
	if (soca_conf_isset(c, "queue", q, "max_running_jobs"))
		json_object_set_new(o, "max_run", json_integer(soca_conf_int(c,
		    "queue", q, "max_running_jobs")));
	for (const struct soca_key *k = qs->keys; k->name; k++) {
		const char *v;

		if (soca_is_resource(k->name) &&
		    soca_conf_isset(c, "queue", q, k->name) &&
		    (v = soca_conf_get(c, "queue", q, k->name)) != NULL)
			json_object_set_new(def, k->name, json_string(v));
	}
	if (json_object_size(def) > 0)
		json_object_set(o, "resources_default", def);
	json_decref(def);
	json_object_set_new(o, "enabled", json_string(soca_conf_bool(c,
	    "queue", q, "enabled") ? "True" : "False"));
	json_object_set_new(o, "started", json_string("True"));
	return o;
}

static json_t *
server_attrs(const struct soca_conf *c, const long long n[6])
{
	json_t *o = json_object();
	char host[256] = "", *sc = state_count(n);

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(o, "server_state", json_string("Active"));
	json_object_set_new(o, "server_host", json_string(host));
	json_object_set_new(o, "total_jobs", json_integer(n[4]));
	json_object_set_new(o, "state_count", json_string(sc));
	json_object_set_new(o, "default_queue", json_string(soca_conf_get(c,
	    "cluster", NULL, "default_queue")));
	json_object_set_new(o, "pbs_version", json_string(SOCA_PBS_VERSION));
	free(sc);
	return o;
}

static void
table_line(bool server, const char *name, const struct soca_conf *c,
    const long long n[6], bool head)
{
	long long max = server ? 0 : soca_conf_int(c, "queue", name,
	    "max_running_jobs");

	if (head && server) {
		puts("Server             Max   Tot   Que   Run   Hld   Wat   "
		    "Trn   Ext Status");
		puts("---------------- ----- ----- ----- ----- ----- ----- "
		    "----- ----- -----------");
	} else if (head) {
		puts("Queue              Max   Tot Ena Str   Que   Run   Hld   "
		    "Wat   Trn   Ext Type");
		puts("---------------- ----- ----- --- --- ----- ----- ----- "
		    "----- ----- ----- ----");
	}
	if (server)
		printf("%-16.16s %5d %5lld %5lld %5lld %5lld %5lld %5d %5d "
		    "Active\n", name, 0, n[4], n[0], n[3], n[1], n[2], 0, 0);
	else
		printf("%-16.16s %5lld %5lld %3s %3s %5lld %5lld %5lld %5lld "
		    "%5d %5d Exec\n", name, max < 0 ? 0 : max, n[4], soca_conf_bool(c, "queue", name,
		    "enabled") ? "yes" : "no", "yes", n[0], n[3], n[1], n[2],
		    0, 0);
}

static char **
which(const struct soca_conf *c, char **names, size_t n, size_t *out,
    int *rc)
{
	char **all, **v = NULL;
	size_t na = soca_conf_names(c, "queue", &all), k = 0;

	if (n == 0) {
		*out = na;
		return all;
	}
	v = soca_xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *q = soca_xstrndup(names[i], strcspn(names[i], "@"));

		if (soca_conf_has_section(c, "queue", q))
			v[k++] = q;
		else {
			warnx("Unknown queue %s", q);
			*rc = SOCA_PBS_UNKQUE;
			free(q);
		}
	}
	soca_strv_free(all, na);
	*out = k;
	return v;
}

/* qstat -Q [queues] and qstat -B, as a table, -f blocks or -F json */
int
soca_pbs_status(const struct soca_conf *c, json_t *jobs, char **names,
    size_t nn, bool full, bool json, bool server, long long now)
{
	json_t *body = json_object(), *a;
	long long n[6];
	char **qs;
	size_t nq = 0;
	int rc = SOCA_EX_OK;

	qs = server ? NULL : which(c, names, nn, &nq, &rc);
	for (size_t i = 0; i < (server ? 1 : nq); i++) {
		const char *name = server ? soca_pbs_server(c) : qs[i];

		counts(jobs, server ? NULL : name, now, n);
		a = server ? server_attrs(c, n) : queue_attrs(c, name, n);
		if (json)
			json_object_set(body, name, a);
		else if (full)
			soca_pbs_block(server ? "Server" : "Queue", name, a,
			    true);
		else
			table_line(server, name, c, n, i == 0);
		json_decref(a);
	}
	if (json)
		soca_pbs_json(c, now, server ? "Server" : "Queue", body);
	json_decref(body);
	soca_strv_free(qs, nq);
	return rc;
}
