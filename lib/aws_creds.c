/*
 * aws_creds.c: where credentials and the region come from.
 *
 * The default chain, in botocore's order: the environment (unless a
 * profile was named on the command line), the shared credentials file,
 * credential_process (run with execvp, no shell, its JSON Version 1 on
 * stdout), keys in the config file, then instance metadata (IMDSv2: a
 * token PUT with a 6-hour TTL, the role name, the role's temporary
 * credentials; v1 when the token PUT gets 403/404/405 and v1 is not
 * disabled; 1 s timeout, one attempt).  Secrets are wiped when freed.
 */
#include "config.h"

#include <curl/curl.h>
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"

#define MAX_PROCESS_OUTPUT (64 * 1024)
#define IMDS_TIMEOUT_MS 1000L	/* botocore's: one attempt, 1 s */

static bool
env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static char *
aws_file(const char *env, const char *name)
{
	const char *v = env_nonempty(env), *home = getenv("HOME");

	if (v)
		return soca_xstrdup(v);
	return soca_xasprintf("%s/.aws/%s", home ? home : "", name);
}

/* The profile's section of the credentials or the config file. */
json_t *
soca_aws_profile(const char *profile, bool config_file)
{
	char *path = config_file ? aws_file("AWS_CONFIG_FILE", "config") :
	    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	json_t *all = soca_aws_ini_load(path, !config_file), *s = NULL;
	char *name;

	free(path);
	if (all == NULL)
		return NULL;
	if (config_file && strcmp(profile, "default") != 0) {
		name = soca_xasprintf("profile %s", profile);
		s = json_object_get(all, name);
		free(name);
	} else {
		s = json_object_get(all, profile);
		if (s == NULL && config_file)
			s = json_object_get(all, "profile default");
	}
	json_incref(s);
	json_decref(all);
	return s;
}

static const char *
profile_name(const struct soca_aws_cfg *cfg)
{
	const char *p;

	if (cfg->profile)
		return cfg->profile;
	if ((p = env_nonempty("AWS_PROFILE")) != NULL)
		return p;
	if (cfg->conf && (p = soca_conf_get(cfg->conf, "aws", NULL,
	    "profile")) != NULL && *p)
		return p;
	return "default";
}

char *
soca_aws_resolve_region(const struct soca_aws_cfg *cfg)
{
	const char *r;
	json_t *p;
	char *out = NULL;

	if (cfg->region)
		return soca_xstrdup(cfg->region);
	if ((r = env_nonempty("AWS_REGION")) != NULL ||
	    (r = env_nonempty("AWS_DEFAULT_REGION")) != NULL)
		return soca_xstrdup(r);
	p = soca_aws_profile(profile_name(cfg), true);
	if ((r = json_string_value(json_object_get(p, "region"))) != NULL)
		out = soca_xstrdup(r);
	json_decref(p);
	if (out == NULL && cfg->conf &&
	    (r = soca_conf_get(cfg->conf, "aws", NULL, "region")) != NULL)
		out = soca_xstrdup(r);
	return out;
}

static time_t
parse_time(const char *s)
{
	struct tm tm = { 0 };
	char *end;

	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	return timegm(&tm);
}

static void
set_creds(struct soca_aws_creds *c, const char *ak, const char *sk,
    const char *tok, const char *source)
{
	soca_aws_creds_free(c);
	c->access_key = soca_xstrdup(ak);
	c->secret_key = soca_xstrdup(sk);
	c->token = tok && *tok ? soca_xstrdup(tok) : NULL;
	c->source = source;
}

int
soca_aws_creds_from_json(json_t *j, struct soca_aws_creds *c)
{
	const char *ak = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *sk = json_string_value(json_object_get(j,
	    "SecretAccessKey"));
	const char *tok = json_string_value(json_object_get(j,
	    "SessionToken"));

	if (tok == NULL)
		tok = json_string_value(json_object_get(j, "Token"));
	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0')
		return -1;
	set_creds(c, ak, sk, tok, c->source);
	c->expiration = parse_time(json_string_value(json_object_get(j,
	    "Expiration")));
	return 0;
}

static bool
from_section(json_t *s, struct soca_aws_creds *c, const char *source)
{
	const char *ak = json_string_value(json_object_get(s,
	    "aws_access_key_id"));
	const char *sk = json_string_value(json_object_get(s,
	    "aws_secret_access_key"));
	const char *tok = json_string_value(json_object_get(s,
	    "aws_session_token"));

	if (ak == NULL || sk == NULL)
		return false;
	set_creds(c, ak, sk, tok ? tok : json_string_value(json_object_get(s,
	    "aws_security_token")), source);
	return true;
}

static bool
from_env(struct soca_aws_creds *c)
{
	const char *ak = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *tok = env_nonempty("AWS_SESSION_TOKEN");

	if (ak == NULL || sk == NULL)
		return false;
	set_creds(c, ak, sk, tok ? tok : env_nonempty("AWS_SECURITY_TOKEN"),
	    "env");
	return true;
}

static char *
run_capture(char **argv, int *status)
{
	int fd[2];
	pid_t pid;
	struct soca_buf b = { 0 };
	char chunk[4096];
	ssize_t n;

	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return NULL;
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	soca_buf_add(&b, "", 0);
	while ((n = read(fd[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (b.len + (size_t)n <= MAX_PROCESS_OUTPUT)
			soca_buf_add(&b, chunk, (size_t)n);
	}
	close(fd[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return soca_buf_steal(&b);
}

int
soca_aws_process_creds(const char *cmdline, struct soca_aws_creds *c,
    struct soca_aws_err *e)
{
	char **argv, *out;
	size_t argc;
	int st = 0, rc = -1;
	json_t *j;

	if (soca_aws_split_cmdline(cmdline, &argv, &argc) < 0) {
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, 0, NULL,
		    "credential_process: unbalanced quotes or empty command");
		return -1;
	}
	out = run_capture(argv, &st);
	j = out ? json_loads(out, 0, NULL) : NULL;
	c->source = "process";
	if (out && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	    json_integer_value(json_object_get(j, "Version")) == 1 &&
	    soca_aws_creds_from_json(j, c) == 0)
		rc = 0;
	else
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, 0, NULL,
		    "credential_process %s: %s", argv[0], out == NULL ?
		    "cannot run" : (!WIFEXITED(st) || WEXITSTATUS(st)) ?
		    "failed" : "no Version 1 credentials on its output");
	if (out)
		explicit_bzero(out, strlen(out));
	free(out);
	json_decref(j);
	soca_strv_free(argv, argc);
	return rc;
}

static size_t
imds_write(char *p, size_t size, size_t n, void *ud)
{
	struct soca_buf *b = ud;

	if (b->len + size * n > MAX_PROCESS_OUTPUT)
		return 0;
	soca_buf_add(b, p, size * n);
	return size * n;
}

/*
 * One IMDS request, no proxy, answers up to 64 KiB; the HTTP status, or
 * -1 when it could not be made.  Shared with soca-node-run (aws_imds.c).
 */
long
soca_aws_imds_req(CURL *h, const char *base, const char *method,
    const char *path, const char *hdr, long timeout_ms, struct soca_buf *out)
{
	struct curl_slist *hl = hdr ? curl_slist_append(NULL, hdr) : NULL;
	char *url = soca_xasprintf("%s%s", base, path);
	long status = -1;

	soca_buf_reset(out);
	soca_buf_add(out, "", 0);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, imds_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	free(url);
	return status;
}

/* The metadata endpoint, AWS_EC2_METADATA_SERVICE_ENDPOINT first. */
char *
soca_aws_imds_base(void)
{
	const char *e = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;

	if (e == NULL)
		return soca_xstrdup("http://169.254.169.254");
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	return soca_xstrndup(e, n);
}

static int
imds_fetch(CURL *h, const char *base, struct soca_aws_creds *c,
    struct soca_aws_err *e)
{
	struct soca_buf b = { 0 };
	char *tokhdr = NULL, *role = NULL, *path;
	long st;
	json_t *j = NULL;
	int rc = -1;

	st = soca_aws_imds_req(h, base, "PUT", "/latest/api/token",
	    "X-aws-ec2-metadata-token-ttl-seconds: 21600", IMDS_TIMEOUT_MS, &b);
	if (st == 200)
		tokhdr = soca_xasprintf("X-aws-ec2-metadata-token: %s", b.s);
	else if (!((st == 403 || st == 404 || st == 405) &&
	    !env_true("AWS_EC2_METADATA_V1_DISABLED")))
		goto out;
	if (soca_aws_imds_req(h, base, "GET",
	    "/latest/meta-data/iam/security-credentials/", tokhdr,
	    IMDS_TIMEOUT_MS, &b) != 200 || b.len == 0)
		goto out;
	role = soca_xstrndup(b.s, strcspn(b.s, "\r\n"));
	path = soca_xasprintf("/latest/meta-data/iam/security-credentials/%s",
	    role);
	st = soca_aws_imds_req(h, base, "GET", path, tokhdr, IMDS_TIMEOUT_MS,
	    &b);
	free(path);
	if (st == 200 && (j = json_loads(b.s, 0, NULL)) != NULL &&
	    json_is_string(json_object_get(j, "Code")) &&
	    strcmp(json_string_value(json_object_get(j, "Code")), "Success") == 0)
		rc = soca_aws_creds_from_json(j, c);
out:
	if (rc < 0)
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, st > 0 ? st : 0, NULL,
		    "no credentials: none in the environment or the shared "
		    "files, and instance metadata at %s gave none (%s)", base,
		    st < 0 ? "no answer within 1 s" : "no role credentials");
	if (b.s)
		explicit_bzero(b.s, b.len);
	soca_buf_free(&b);
	free(tokhdr);
	free(role);
	json_decref(j);
	return rc;
}

int
soca_aws_imds_creds(struct soca_aws_creds *c, struct soca_aws_err *e)
{
	CURL *h;
	char *base;
	int rc;

	if (env_true("AWS_EC2_METADATA_DISABLED")) {
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, 0, NULL,
		    "no credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or a profile (instance metadata "
		    "is disabled)");
		return -1;
	}
	if ((h = curl_easy_init()) == NULL)
		errx(SOCA_EX_TEMP, "curl_easy_init failed");
	base = soca_aws_imds_base();
	c->source = "imds";
	rc = imds_fetch(h, base, c, e);
	free(base);
	curl_easy_cleanup(h);
	return rc;
}

static int
from_profile(const struct soca_aws_cfg *cfg, struct soca_aws_creds *c,
    struct soca_aws_err *e, bool *found)
{
	const char *name = profile_name(cfg), *proc;
	json_t *cred = soca_aws_profile(name, false);
	json_t *conf = soca_aws_profile(name, true);
	int rc = 1;

	*found = cred != NULL || conf != NULL;
	if (from_section(cred, c, "profile"))
		rc = 0;
	else if ((proc = json_string_value(json_object_get(conf,
	    "credential_process"))) != NULL ||
	    (proc = json_string_value(json_object_get(cred,
	    "credential_process"))) != NULL)
		rc = soca_aws_process_creds(proc, c, e);
	else if (from_section(conf, c, "profile"))
		rc = 0;
	else if (json_object_get(conf, "role_arn") ||
	    json_object_get(conf, "sso_session") ||
	    json_object_get(conf, "sso_start_url")) {
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, 0, NULL, "profile %s: "
		    "role_arn and SSO profiles are not supported; give the "
		    "profile a credential_process (e.g. aws configure "
		    "export-credentials) or keys", name);
		rc = -1;
	}
	json_decref(cred);
	json_decref(conf);
	return rc;
}

int
soca_aws_resolve_creds(const struct soca_aws_cfg *cfg,
    struct soca_aws_creds *c, struct soca_aws_err *e)
{
	bool found;
	int rc;

	if (cfg->profile == NULL && from_env(c))
		return 0;
	if ((rc = from_profile(cfg, c, e, &found)) <= 0)
		return rc;
	if (cfg->profile && !found) {
		soca_aws_err_set(e, SOCA_AWS_E_CREDS, 0, NULL,
		    "profile %s: not in the shared credentials or config file",
		    cfg->profile);
		return -1;
	}
	return soca_aws_imds_creds(c, e);
}
