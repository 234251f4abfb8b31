/*
 * jobselect.c: PBS Professional's -l select= chunks and -l place=, mapped
 * onto soca's model of a job: nodes instances of one instance type, each
 * running ncpus cpus and mpiprocs MPI ranks.  A chunk is one instance
 * (as with place=scatter), so "select=2:ncpus=4:mpiprocs=4+1:ncpus=2" is
 * nodes=3; the job's ncpus, mpiprocs and ompthreads are the first chunk's
 * (PBS sets NCPUS and OMP_NUM_THREADS from the chunk on the first host),
 * and the select line itself stays in the record, normalised, for what
 * differs between chunks: PBS_NODEFILE lists each chunk's host mpiprocs
 * times, the local provider counts each chunk's ncpus.  A select owns
 * nodes, ncpus, mpiprocs, ompthreads and mem: giving one of them beside
 * it is refused, as PBS refuses mixing old and new resource syntax.
 *
 * place= is checked once the job is complete (soca_job_place_check):
 * what one instance per chunk satisfies is taken (scatter, vscatter, free,
 * excl, exclhost, shared; pack with one chunk), what it cannot is
 * refused with the reason.  A chunk larger than its instance (the
 * instance type's facts on aws, this host on the local provider) is
 * refused naming both.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"

/* what a select owns, so -l of one of them beside it is refused */
static const char *const owned[] = { "nodes", "ncpus", "mpiprocs",
    "ompthreads", "mem", NULL };

bool
soca_select_owns(const char *key)
{
	for (const char *const *k = owned; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

void
soca_chunks_free(struct soca_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].type);
	free(c);
}

static char *
chunk_res(struct soca_chunk *ch, const char *spec, const char *item)
{
	const char *eq = strchr(item, '=');
	size_t kl = eq ? (size_t)(eq - item) : strlen(item);
	const char *v = eq ? eq + 1 : "";
	long long n;
	unsigned long long b;

#define K(s) (kl == sizeof(s) - 1 && strncmp(item, s, kl) == 0)
	if (eq == NULL || *v == '\0')
		return soca_xasprintf("-l select=%s: \"%s\" is not "
		    "resource=value (write select=N:ncpus=C:mpiprocs=M:mem=X"
		    "[+N:...], e.g. select=2:ncpus=4:mpiprocs=4)", spec, item);
	if (K("ncpus") || K("mpiprocs") || K("ompthreads")) {
		if (soca_parse_int(v, K("ncpus") ? 0 : 1, 100000, &n) != 0 ||
		    (K("ncpus") && n == 0))
			return soca_xasprintf("-l select=%s: %.*s=%s is not a "
			    "whole number from 1 to 100000 (e.g. %.*s=4)",
			    spec, (int)kl, item, v, (int)kl, item);
		*(K("ncpus") ? &ch->ncpus : K("mpiprocs") ? &ch->mpiprocs :
		    &ch->ompthreads) = n;
		return NULL;
	}
	if (K("mem")) {
		if (soca_parse_size(v, &b) != 0 || b == 0 || b > LLONG_MAX)
			return soca_xasprintf("-l select=%s: mem=%s is not a "
			    "size (a whole number with b, kb, mb, gb or tb, "
			    "e.g. mem=4gb)", spec, v);
		ch->mem = (long long)b;
		return NULL;
	}
	if (K("instance_type")) {
		free(ch->type);
		ch->type = soca_xstrdup(v);
		return NULL;
	}
	return soca_xasprintf("-l select=%s: chunk resource \"%.*s\" is not "
	    "supported (a chunk takes ncpus, mpiprocs, ompthreads, mem and "
	    "instance_type); remove it, or ask for an instance type that has "
	    "it with -l instance_type=TYPE", spec, (int)kl, item);
#undef K
}

/* no empty piece between colons, nor at either end */
static bool
colons_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[0] != ':' && s[n - 1] != ':' &&
	    strstr(s, "::") == NULL;
}

/* "[N:]res=v[:res=v...]" */
static char *
chunk(struct soca_chunk *ch, const char *spec, char *s)
{
	char *tok, *save = NULL, *why = NULL;
	bool first = true;
	long long n;

	ch->count = 1;
	if (!colons_ok(s))
		return soca_xasprintf("-l select=%s: a chunk with an empty "
		    "resource (write N:res=value[:res=value...], e.g. "
		    "select=2:ncpus=4)", spec);
	for (tok = strtok_r(s, ":", &save); tok && why == NULL;
	    tok = strtok_r(NULL, ":", &save), first = false) {
		if (first && isdigit((unsigned char)*tok) && !strchr(tok, '=')) {
			if (soca_parse_int(tok, 1, 10000, &n) != 0)
				why = soca_xasprintf("-l select=%s: the chunk "
				    "count \"%s\" is not a whole number from 1 "
				    "to 10000 (e.g. select=2:ncpus=4)", spec,
				    tok);
			else
				ch->count = n;
		} else
			why = chunk_res(ch, spec, tok);
	}
	if (why == NULL && ch->ncpus == 0)
		ch->ncpus = 1;
	if (why == NULL && ch->mpiprocs == 0)
		ch->mpiprocs = 1;	/* PBS: one rank per chunk */
	return why;
}

int
soca_select_parse(const char *spec, struct soca_chunk **out, size_t *nout,
    char **why)
{
	char *copy = soca_xstrdup(spec), *p = copy, *plus;
	struct soca_chunk *c = NULL;
	size_t n = 0;

	*why = NULL;
	for (;;) {
		plus = strchr(p, '+');
		if (plus)
			*plus = '\0';
		c = soca_xreallocarray(c, n + 1, sizeof(*c));
		memset(&c[n], 0, sizeof(*c));
		if (*p == '\0' || *p == ':')
			*why = soca_xasprintf("-l select=%s: an empty chunk "
			    "(write select=N:ncpus=C[+N:ncpus=C...])", spec);
		else
			*why = chunk(&c[n], spec, p);
		n++;
		if (*why != NULL || plus == NULL)
			break;
		p = plus + 1;
	}
	for (size_t i = 1; *why == NULL && i < n; i++)
		if ((c[i].type == NULL) != (c[0].type == NULL) ||
		    (c[i].type && strcmp(c[i].type, c[0].type) != 0))
			*why = soca_xasprintf("-l select=%s: chunks ask for "
			    "different instance types, but soca launches one "
			    "instance type per job; give instance_type once, "
			    "with -l instance_type=TYPE", spec);
	free(copy);
	if (*why != NULL) {
		soca_chunks_free(c, n);
		return -1;
	}
	*out = c;
	*nout = n;
	return 0;
}

/* bytes as PBS writes sizes: the largest unit that divides them */
const char *
soca_size_str(long long b, char buf[32])
{
	static const char *const u[] = { "b", "kb", "mb", "gb", "tb" };
	int i = 0;

	while (i < 4 && b > 0 && b % 1024 == 0)
		b /= 1024, i++;
	snprintf(buf, 32, "%lld%s", b, u[i]);
	return buf;
}

static void
set_int(struct soca_job *j, const char *k, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	soca_job_set_res(j, k, num);
}

/* The normalised line: every chunk with its count, ncpus and mpiprocs. */
static char *
normal(const struct soca_chunk *c, size_t n)
{
	struct soca_buf b = { 0 };
	char sz[32];

	for (size_t i = 0; i < n; i++) {
		soca_buf_addf(&b, "%s%lld:ncpus=%lld:mpiprocs=%lld", i ? "+" :
		    "", c[i].count, c[i].ncpus, c[i].mpiprocs);
		if (c[i].ompthreads)
			soca_buf_addf(&b, ":ompthreads=%lld", c[i].ompthreads);
		if (c[i].mem)
			soca_buf_addf(&b, ":mem=%s", soca_size_str(c[i].mem,
			    sz));
	}
	return soca_buf_steal(&b);
}

/* -l select=...: the chunks, and what soca's own resources make of them */
char *
soca_job_select(struct soca_job *j, const char *spec)
{
	struct soca_chunk *c;
	size_t n;
	long long nodes = 0;
	char *why, *line;

	if (soca_select_parse(spec, &c, &n, &why) != 0)
		return why;
	for (size_t i = 0; i < n; i++)
		nodes += c[i].count;
	if (nodes > 10000) {
		soca_chunks_free(c, n);
		return soca_xasprintf("-l select=%s: %lld chunks in all, more "
		    "than 10000 instances (ask for fewer chunks)", spec, nodes);
	}
	line = normal(c, n);
	soca_job_set_res(j, "select", line);
	free(line);
	set_int(j, "nodes", nodes);
	set_int(j, "ncpus", c[0].ncpus);
	set_int(j, "mpiprocs", c[0].mpiprocs);
	if (c[0].ompthreads)
		set_int(j, "ompthreads", c[0].ompthreads);
	else
		soca_job_del_res(j, "ompthreads");
	soca_job_del_res(j, "mem");
	if (c[0].type)
		soca_job_set_res(j, "instance_type", c[0].type);
	soca_chunks_free(c, n);
	return NULL;
}

/* -l place=arrangement[:sharing][:group=resource] */
char *
soca_job_place(struct soca_job *j, const char *spec)
{
	static const char *const words[] = { "free", "pack", "scatter",
	    "vscatter", "excl", "shared", "exclhost", NULL };
	char *copy, *tok, *save = NULL, *why = NULL;
	int arr = 0, share = 0;

	if (!colons_ok(spec))
		return soca_xasprintf("-l place=%s: an empty word (write "
		    "place=arrangement[:sharing], e.g. place=scatter:excl)",
		    spec);
	copy = soca_xstrdup(spec);

	for (tok = strtok_r(copy, ":", &save); tok && why == NULL;
	    tok = strtok_r(NULL, ":", &save)) {
		size_t w;

		if (strncmp(tok, "group=", 6) == 0) {
			why = soca_xasprintf("-l place=%s: group=%s cannot "
			    "hold: soca's instances carry no resource to group "
			    "chunks by; remove it (for instances close "
			    "together, -l placement_group=yes)", spec, tok + 6);
			break;
		}
		for (w = 0; words[w] && strcmp(words[w], tok) != 0; w++)
			;
		if (words[w] == NULL)
			why = soca_xasprintf("-l place=%s: \"%s\" is not a "
			    "placement (arrangement free, pack, scatter or "
			    "vscatter; sharing excl, shared or exclhost; e.g. "
			    "place=scatter:excl)", spec, tok);
		else if ((w < 4 && arr++) || (w >= 4 && share++))
			why = soca_xasprintf("-l place=%s: \"%s\" is a second "
			    "%s (give at most one arrangement and one sharing, "
			    "e.g. place=scatter:excl)", spec, tok, w < 4 ?
			    "arrangement" : "sharing");
	}
	free(copy);
	if (why == NULL)
		soca_job_set_res(j, "place", spec);
	return why;
}

/*
 * What a complete job's place= means here: one instance per chunk holds
 * scatter, vscatter and free; pack only with a single chunk; excl and
 * exclhost unless the queue shares instances between jobs.
 */
static char *
place_check(const struct soca_conf *c, const struct soca_job *j)
{
	const char *p = soca_job_res(j, "place"), *sel;
	long long nodes = soca_job_res_int(j, "nodes", 1);
	const char *mode = soca_conf_get(c, "queue", j->queue, "scaling_mode");
	char *copy, *tok, *save = NULL, *why = NULL;

	if (p == NULL)
		return NULL;
	sel = soca_job_res(j, "select");
	copy = soca_xstrdup(p);
	for (tok = strtok_r(copy, ":", &save); tok && why == NULL;
	    tok = strtok_r(NULL, ":", &save))
		if (strcmp(tok, "pack") == 0 && nodes > 1)
			why = soca_xasprintf("-l place=%s cannot hold: pack "
			    "puts every chunk on one host, but soca launches "
			    "one instance per chunk and the job has %lld "
			    "(%s%s); ask for one chunk with the sum (e.g. "
			    "select=1:ncpus=N) or use place=scatter", p, nodes,
			    sel ? "select=" : "nodes=", sel ? sel : "");
		else if ((strcmp(tok, "excl") == 0 ||
		    strcmp(tok, "exclhost") == 0) && mode &&
		    strcmp(mode, "multiple_jobs") == 0)
			why = soca_xasprintf("-l place=%s cannot hold: queue "
			    "\"%s\" shares instances between jobs "
			    "(scaling_mode = multiple_jobs); submit to a "
			    "single_job queue or drop :%s", p, j->queue, tok);
	free(copy);
	return why;
}

/* a select's chunks, or one chunk of nodes x ncpus/mpiprocs */
static void
job_chunks(const struct soca_job *j, struct soca_chunk **c, size_t *n)
{
	const char *sel = soca_job_res(j, "select");
	unsigned long long b;
	char *why;

	if (sel && soca_select_parse(sel, c, n, &why) == 0)
		return;
	if (sel)
		free(why);
	*c = soca_xcalloc(1, sizeof(**c));
	*n = 1;
	(*c)->count = soca_job_res_int(j, "nodes", 1);
	(*c)->ncpus = soca_job_res_int(j, "ncpus", 1);
	(*c)->mpiprocs = soca_job_res_int(j, "mpiprocs", 1);
	if (soca_job_res(j, "mem") == NULL || soca_parse_size(soca_job_res(j,
	    "mem"), &b) != 0 || b > LLONG_MAX)
		b = 0;
	(*c)->mem = (long long)b;
}

/* Every chunk within cpus and mem (bytes, 0: unknown) of what */
char *
soca_job_chunks_fit(const struct soca_job *j, long long cpus,
    long long mem, const char *what, const char *fix)
{
	struct soca_chunk *c;
	size_t n;
	char *why = NULL, a[32], b[32];

	bool sel = soca_job_res(j, "select") != NULL;

	job_chunks(j, &c, &n);
	for (size_t i = 0; i < n && why == NULL; i++)
		if (sel && cpus > 0 && c[i].ncpus > cpus)	/* else held */
			why = soca_xasprintf("-l select=%s: chunk %zu asks for "
			    "ncpus=%lld, but %s has %lld cpus; ask for at most "
			    "ncpus=%lld per chunk%s", soca_job_res(j, "select"),
			    i + 1, c[i].ncpus, what, cpus, cpus, fix);
		else if (mem > 0 && c[i].mem > mem)
			why = soca_xasprintf("-l %s%s: chunk %zu asks for "
			    "mem=%s, but %s has %s; ask for at most mem=%s per "
			    "chunk%s", sel ? "select=" : "mem=", sel ?
			    soca_job_res(j, "select") : soca_job_res(j, "mem"), i + 1,
			    soca_size_str(c[i].mem, a), what,
			    soca_size_str(mem, b), b, fix);
	soca_chunks_free(c, n);
	return why;
}

/* cpus a job takes (local provider slots): each chunk's count x ncpus */
long long
soca_job_cpus(const struct soca_job *j)
{
	struct soca_chunk *c;
	size_t n;
	long long sum = 0;

	job_chunks(j, &c, &n);
	for (size_t i = 0; i < n; i++)
		sum += c[i].count * c[i].ncpus;
	soca_chunks_free(c, n);
	return sum;
}

/* MPI ranks on the job's node k (0-based): its chunk's mpiprocs */
long long
soca_job_node_ranks(const struct soca_job *j, long long k)
{
	struct soca_chunk *c;
	size_t n;
	long long r = 1;

	job_chunks(j, &c, &n);
	for (size_t i = 0; i < n; i++) {
		if (k < c[i].count) {
			r = c[i].mpiprocs;
			break;
		}
		k -= c[i].count;
	}
	soca_chunks_free(c, n);
	return r;
}

static long long
host_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (long long)pages * size : 0;
}

/*
 * Once the job is complete (queue defaults merged): place=, and on the
 * local provider each chunk against this host ([cluster] slots cpus, its
 * memory).  The aws provider's instance types are asked at submission
 * (soca_aws_chunks, provider_aws.c).
 */
char *
soca_job_chunks_check(const struct soca_conf *c, const struct soca_job *j)
{
	char *why;
	const char *prov = soca_conf_get(c, "cluster", NULL, "provider");

	if ((why = place_check(c, j)) != NULL)
		return why;
	if (strcmp(prov, "local") != 0)
		return NULL;
	return soca_job_chunks_fit(j, soca_conf_int(c, "cluster", NULL,
	    "slots"), host_mem() >> 20 << 20, "this host (provider local)",
	    "");
}
