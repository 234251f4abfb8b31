/*
 * session.c: the web page's sessions, the login and its rate limit.
 *
 * Owns [web] state (one directory, the soca-api user's alone, 0700):
 *   hmac.key          32 random bytes made on first use (0600)
 *   sessions/ID       "user\nexpiry\n" of one session; logout removes it
 *   failures/HASH     times of recent failed logins (or wrong old
 *                     passwords, api_account.c) for one user or one
 *                     remote address (HASH: SHA-256 of "u:NAME" or
 *                     "a:ADDR"), read and written under flock(2)
 * The cookie is ID.MAC: ID 128 random bits, MAC the HMAC-SHA256 of ID
 * under hmac.key, both hex; a cookie with a bad MAC is refused before
 * any file is looked at.  A session holds who, never what they may do:
 * admin rights are looked up on every request (auth.c).  A password
 * change ends the user's other sessions (soca_web_sessions_end).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

#define ID_BYTES 16

int
soca_web_random(void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom((char *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

void
soca_web_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool
is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return true;
}

static int
own_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077))
		return -1;
	return 0;
}

/* [web] state, or a directory in it; -1 when not ours alone */
int
soca_web_state_dir(struct soca_web *w, const char *sub, char **path)
{
	*path = NULL;
	if (own_dir(w->state) < 0) {
		soca_web_note(w, "[web] state %s: missing, not a directory, "
		    "not owned by uid %ld or open to others", w->state,
		    (long)geteuid());
		return -1;
	}
	*path = sub ? soca_xasprintf("%s/%s", w->state, sub) :
	    soca_xstrdup(w->state);
	if (sub && own_dir(*path) < 0) {
		soca_web_note(w, "%s: cannot use it", *path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

/* [web] state/hmac.key, made on first use; dcvauth.c derives its own */
int
soca_web_hmac_key(struct soca_web *w, unsigned char key[32])
{
	char *dir, *p;
	ssize_t n = -1;
	int fd;

	if (soca_web_state_dir(w, NULL, &dir) < 0)
		return -1;
	p = soca_xasprintf("%s/hmac.key", dir);
	free(dir);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && soca_web_random(key, 32) == 0 &&
	    soca_write_atomic(p, key, 32, 0600) == 0)
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, key, 32);
		close(fd);
	}
	free(p);
	return n == 32 ? 0 : -1;
}

static int
mac(struct soca_web *w, const char *id, char out[65])
{
	unsigned char key[32], m[32];
	unsigned int mlen = 0;

	if (soca_web_hmac_key(w, key) < 0)
		return -1;
	HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)id,
	    strlen(id), m, &mlen);
	explicit_bzero(key, sizeof(key));
	if (mlen != 32)
		return -1;
	soca_web_hex(m, 32, out);
	return 0;
}

/* the soca_session value of the Cookie header, or NULL */
static char *
cookie_value(const char *h)
{
	const char *p = h;
	size_t n;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		n = strcspn(p, ";");
		if (strncmp(p, "soca_session=", 13) == 0)
			return soca_xstrndup(p + 13, n - 13);
		p += n;
	}
	return NULL;
}

static int
read_session(const char *path, char **user, long long *exp)
{
	char buf[256], *nl, *e;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL)
		return -1;
	*nl = '\0';
	e = nl + 1;
	if ((nl = strchr(e, '\n')) != NULL)
		*nl = '\0';
	if (soca_parse_int(e, 0, (long long)1 << 40, exp) != 0)
		return -1;
	*user = soca_xstrdup(buf);
	return 0;
}

/* 0 and the user; -1: no such session (the caller answers 401) */
int
soca_web_session_check(struct soca_web *w, const char *header, char **user)
{
	char *v = cookie_value(header), *dot, want[65], *dir = NULL, *p;
	long long exp;
	int rc = -1;

	*user = NULL;
	if (v == NULL || (dot = strchr(v, '.')) == NULL)
		goto out;
	*dot = '\0';
	if (!is_hex(v, 2 * ID_BYTES) || !is_hex(dot + 1, 64) ||
	    mac(w, v, want) < 0 || CRYPTO_memcmp(want, dot + 1, 64) != 0 ||
	    soca_web_state_dir(w, "sessions", &dir) < 0)
		goto out;
	p = soca_xasprintf("%s/%s", dir, v);
	if (read_session(p, user, &exp) == 0) {
		if (exp > (long long)time(NULL)) {
			rc = 0;
			w->session = soca_xstrdup(v);
		} else {
			unlink(p);
			free(*user);
			*user = NULL;
		}
	}
	free(p);
out:
	free(dir);
	free(v);
	return rc;
}

/* ---- failed logins, per user and per address ---- */

static char *
fail_path(const char *dir, const char *kind, const char *what)
{
	unsigned char h[32];
	char hex[65], *s = soca_xasprintf("%s:%s", kind, what), *p;

	SHA256((const unsigned char *)s, strlen(s), h);
	soca_web_hex(h, 32, hex);
	p = soca_xasprintf("%s/%s", dir, hex);
	free(s);
	return p;
}

/*
 * Seconds until another try is allowed (0: now), and with add a failure
 * recorded.  Old entries are dropped on every pass.
 */
static long long
failures(struct soca_web *w, const char *path, bool add)
{
	long long max = soca_conf_int(w->conf, "web", NULL, "login_failures");
	long long win = soca_conf_int(w->conf, "web", NULL, "login_window");
	long long now = time(NULL), t, oldest = 0, n = 0, wait = 0;
	struct soca_buf b = { 0 };
	char buf[4096], *line, *save;
	ssize_t r;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		return add ? 0 : win;	/* cannot count: do not let it through */
	}
	r = read(fd, buf, sizeof(buf) - 1);
	buf[r > 0 ? r : 0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (soca_parse_int(line, 0, (long long)1 << 40, &t) != 0 ||
		    t + win <= now)
			continue;
		if (n == 0 || t < oldest)
			oldest = t;
		n++;
		soca_buf_addf(&b, "%lld\n", t);
	}
	if (add) {
		soca_buf_addf(&b, "%lld\n", now);
		if (n++ == 0)
			oldest = now;
	}
	if (n >= max)
		wait = oldest + win - now > 0 ? oldest + win - now : 1;
	if (add && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    write(fd, b.s, b.len) < 0)
		wait = win;
	soca_buf_free(&b);
	close(fd);
	return add ? 0 : wait;
}

/*
 * 0: user may try a password now; else the request is answered (429
 * with Retry-After, or 503).  Login and a password change share it.
 */
int
soca_web_login_gate(struct soca_web *w, const char *user)
{
	char *dir, *pu, *pa, ra[64], *b;
	long long wait;

	if (soca_web_state_dir(w, "failures", &dir) < 0) {
		soca_web_error(w, 503, "logins are unavailable: try again later");
		return -1;
	}
	pu = fail_path(dir, "u", user);
	pa = fail_path(dir, "a", w->remote);
	free(dir);
	wait = failures(w, pu, false);
	if (wait == 0)
		wait = failures(w, pa, false);
	free(pu);
	free(pa);
	if (wait == 0)
		return 0;
	snprintf(ra, sizeof(ra), "Retry-After: %lld\r\n", wait);
	soca_web_note(w, "refused: too many failures");
	b = soca_xasprintf("{\"error\":\"too many failed logins: try again "
	    "in %lld seconds\",\"status\":429}", wait);
	soca_web_raw(w, 429, "application/json; charset=utf-8", ra, b,
	    strlen(b));
	free(b);
	return -1;
}

/* a wrong password for user, from this address */
void
soca_web_login_failed(struct soca_web *w, const char *user)
{
	char *dir, *p;

	if (soca_web_state_dir(w, "failures", &dir) < 0)
		return;
	p = fail_path(dir, "u", user);
	failures(w, p, true);
	free(p);
	p = fail_path(dir, "a", w->remote);
	failures(w, p, true);
	free(p);
	free(dir);
}

/* every session of user but keep (may be NULL) ends; how many, or -1 */
int
soca_web_sessions_end(struct soca_web *w, const char *user, const char *keep)
{
	char *dir, *p, *u;
	struct dirent *e;
	long long exp;
	int n = 0;
	DIR *d;

	if (soca_web_state_dir(w, "sessions", &dir) < 0)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_hex(e->d_name, 2 * ID_BYTES) ||
		    (keep != NULL && strcmp(e->d_name, keep) == 0))
			continue;
		p = soca_xasprintf("%s/%s", dir, e->d_name);
		if (read_session(p, &u, &exp) == 0) {
			if (strcmp(u, user) == 0 && unlink(p) == 0)
				n++;
			free(u);
		}
		free(p);
	}
	closedir(d);
	free(dir);
	return n;
}

static void
answer_login(struct soca_web *w, const char *user)
{
	long long ttl = soca_conf_int(w->conf, "web", NULL, "session_ttl");
	unsigned char id[ID_BYTES];
	char hid[2 * ID_BYTES + 1], m[65], *dir, *p, *data, *hdr, *body;
	json_t *j;

	if (soca_web_random(id, sizeof(id)) < 0 ||
	    soca_web_state_dir(w, "sessions", &dir) < 0) {
		soca_web_error(w, 503, "cannot open a session: try again later");
		return;
	}
	soca_web_hex(id, sizeof(id), hid);
	p = soca_xasprintf("%s/%s", dir, hid);
	data = soca_xasprintf("%s\n%lld\n", user, (long long)time(NULL) + ttl);
	if (mac(w, hid, m) < 0 ||
	    soca_write_atomic(p, data, strlen(data), 0600) < 0) {
		soca_web_error(w, 503, "cannot open a session: try again later");
	} else {
		hdr = soca_xasprintf("Set-Cookie: soca_session=%s.%s; Path=/api; "
		    "Max-Age=%lld; HttpOnly; Secure; SameSite=Strict\r\n",
		    hid, m, ttl);
		free(w->user);
		w->user = soca_xstrdup(user);
		j = json_pack("{s:s, s:b}", "user", user, "admin",
		    soca_web_user_admin(w, user));
		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		soca_web_raw(w, 200, "application/json; charset=utf-8", hdr,
		    body, strlen(body));
		soca_web_note(w, "login");
		free(body);
		free(hdr);
	}
	free(data);
	free(p);
	free(dir);
}

static bool
login_name_ok(const char *s)
{
	return s != NULL && strlen(s) <= 32 && soca_name_ok(s);
}

void
soca_web_login(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w);
	const char *user, *pw;
	int rc;

	if (j == NULL)
		return;
	user = json_string_value(json_object_get(j, "user"));
	pw = json_string_value(json_object_get(j, "password"));
	if (!login_name_ok(user) || pw == NULL || *pw == '\0' ||
	    json_object_size(j) != 2) {
		soca_web_error(w, 400, "expected {\"user\": NAME, \"password\": "
		    "PASSWORD}, both non-empty strings");
		goto out;
	}
	if (soca_web_login_gate(w, user) < 0)
		goto out;
	rc = soca_web_ldap_bind(w, user, pw);
	if (rc == 0 && soca_web_user_ok(w, user) == 0) {
		answer_login(w, user);
	} else if (rc == 3) {
		soca_web_error(w, 503, "the directory is unavailable: try again "
		    "later");
	} else {
		soca_web_login_failed(w, user);
		soca_web_note(w, "login failed for %s", user);
		soca_web_error(w, 401, "wrong user name or password");
	}
out:
	json_decref(j);
}

void
soca_web_logout(struct soca_web *w)
{
	char *dir, *p;

	if (w->session == NULL) {
		soca_web_error(w, 400, "not logged in with a session cookie");
		return;
	}
	if (soca_web_state_dir(w, "sessions", &dir) < 0) {
		soca_web_error(w, 503, "try again later");
		return;
	}
	p = soca_xasprintf("%s/%s", dir, w->session);
	if (unlink(p) < 0 && errno != ENOENT) {
		soca_web_error(w, 503, "try again later");
	} else {
		soca_web_note(w, "logout");
		soca_web_raw(w, 204, NULL, "Set-Cookie: soca_session=; Path=/api; "
		    "Max-Age=0; HttpOnly; Secure; SameSite=Strict\r\n", "", 0);
	}
	free(p);
	free(dir);
}
