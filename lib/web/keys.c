/*
 * keys.c: API keys, for scripts (Authorization: Bearer TOKEN).
 *
 * Owns [web] state/keys: one file a key, KEYID.json, holding its id,
 * name, owner, created, last_used and the SHA-256 of its secret, never
 * the secret.  A token is soca_KEYID_SECRET: KEYID 64 random bits
 * (names the file), SECRET 256 random bits from getrandom(2), both hex;
 * the secret is shown once, in the answer that creates it.  Checking a
 * token looks up KEYID's file and compares the hashes with
 * CRYPTO_memcmp.  Files are written whole (temp, fsync, rename).  Only
 * the owner or an administrator may list or revoke a key; anyone else
 * is told it does not exist.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

#define KEYID_BYTES 8
#define SECRET_BYTES 32

static bool
hex_ok(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void
hash_hex(const char *secret, char out[65])
{
	unsigned char h[32];

	SHA256((const unsigned char *)secret, strlen(secret), h);
	soca_web_hex(h, 32, out);
}

static char *
key_path(struct soca_web *w, const char *id)
{
	char *dir, *p;

	if (!hex_ok(id, 2 * KEYID_BYTES) ||
	    soca_web_state_dir(w, "keys", &dir) < 0)
		return NULL;
	p = soca_xasprintf("%s/%s.json", dir, id);
	free(dir);
	return p;
}

static json_t *
load(const char *path)
{
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);

	if (j != NULL && (!json_is_string(json_object_get(j, "user")) ||
	    !json_is_string(json_object_get(j, "hash")))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
save(const char *path, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (s == NULL)
		return -1;
	rc = soca_write_atomic(path, s, strlen(s), 0600);
	free(s);
	return rc;
}

/* 0 and the owner; -1: no such key or a wrong secret */
int
soca_web_key_check(struct soca_web *w, const char *tok, char **user)
{
	char id[2 * KEYID_BYTES + 1], want[65], *p;
	const char *secret;
	json_t *j, *lu;
	int rc = -1;

	*user = NULL;
	if (strncmp(tok, "soca_", 5) != 0 || strlen(tok) < 5 + sizeof(id) ||
	    tok[5 + 2 * KEYID_BYTES] != '_')
		return -1;
	memcpy(id, tok + 5, 2 * KEYID_BYTES);
	id[2 * KEYID_BYTES] = '\0';
	secret = tok + 5 + 2 * KEYID_BYTES + 1;
	if (!hex_ok(secret, 2 * SECRET_BYTES) || (p = key_path(w, id)) == NULL)
		return -1;
	hash_hex(secret, want);
	if ((j = load(p)) != NULL && CRYPTO_memcmp(want,
	    json_string_value(json_object_get(j, "hash")), 64) == 0 &&
	    strlen(json_string_value(json_object_get(j, "hash"))) == 64) {
		*user = soca_xstrdup(json_string_value(json_object_get(j,
		    "user")));
		/* last_used is a hint, to the minute: one write (and its
		 * fsyncs) a minute, not one a request; a failure is no
		 * refusal */
		lu = json_object_get(j, "last_used");
		if (!json_is_integer(lu) || json_integer_value(lu) + 60 <=
		    (json_int_t)time(NULL)) {
			json_object_set_new(j, "last_used",
			    json_integer(time(NULL)));
			save(p, j);
		}
		soca_web_note(w, "key %s", id);
		rc = 0;
	}
	json_decref(j);
	free(p);
	return rc;
}

static json_t *
public(json_t *k)
{
	json_t *o = json_object();
	const char *f[] = { "id", "name", "user", "created", "last_used" };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		json_t *v = json_object_get(k, f[i]);

		json_object_set(o, f[i], v ? v : json_null());
	}
	return o;
}

void
soca_web_keys_list(struct soca_web *w)
{
	static const char *const qk[] = { "user", NULL };
	char *who, *dir, *p;
	int bad = 0;
	json_t *a, *k;
	struct dirent *e;
	DIR *d;

	who = soca_web_query(w, "user", &bad);
	if (bad || !soca_web_query_only(w, qk)) {
		free(who);
		soca_web_error(w, 400, "bad query: only ?user=NAME is known");
		return;
	}
	if (who != NULL && strcmp(who, w->user) != 0 && !w->admin) {
		free(who);
		soca_web_error(w, 403, "only administrators list other users' "
		    "keys");
		return;
	}
	if (soca_web_state_dir(w, "keys", &dir) < 0 ||
	    (d = opendir(dir)) == NULL) {
		free(who);
		free(dir);
		soca_web_error(w, 503, "keys are unavailable: try again later");
		return;
	}
	a = json_array();
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) !=
		    2 * KEYID_BYTES + 5)
			continue;
		p = soca_xasprintf("%s/%s", dir, e->d_name);
		if ((k = load(p)) != NULL && strcmp(json_string_value(
		    json_object_get(k, "user")), who ? who : w->user) == 0)
			json_array_append_new(a, public(k));
		json_decref(k);
		free(p);
	}
	closedir(d);
	free(dir);
	free(who);
	soca_web_json(w, 200, a);
}

void
soca_web_keys_create(struct soca_web *w)
{
	unsigned char id[KEYID_BYTES], sec[SECRET_BYTES];
	char hid[2 * KEYID_BYTES + 1], hsec[2 * SECRET_BYTES + 1], h[65];
	char *p = NULL, *tok;
	const char *name;
	json_t *j = soca_web_json_body(w), *k;

	if (j == NULL)
		return;
	name = json_string_value(json_object_get(j, "name"));
	if (name == NULL || !soca_name_ok(name) || json_object_size(j) != 1) {
		soca_web_error(w, 400, "expected {\"name\": NAME}: letters, "
		    "digits, '.', '_' and '-', at most 64, not starting with "
		    "'.' or '-'");
		json_decref(j);
		return;
	}
	if (soca_web_random(id, sizeof(id)) < 0 ||
	    soca_web_random(sec, sizeof(sec)) < 0) {
		soca_web_error(w, 503, "no randomness: try again later");
		json_decref(j);
		return;
	}
	soca_web_hex(id, sizeof(id), hid);
	soca_web_hex(sec, sizeof(sec), hsec);
	explicit_bzero(sec, sizeof(sec));
	hash_hex(hsec, h);
	k = json_pack("{s:s, s:s, s:s, s:s, s:I, s:n}", "id", hid, "name",
	    name, "user", w->user, "hash", h, "created",
	    (json_int_t)time(NULL), "last_used");
	if ((p = key_path(w, hid)) == NULL || save(p, k) < 0) {
		soca_web_error(w, 503, "cannot store the key: try again later");
	} else {
		tok = soca_xasprintf("soca_%s_%s", hid, hsec);
		soca_web_note(w, "key %s created", hid);
		soca_web_json(w, 201, json_pack("{s:s, s:s, s:s}", "id", hid,
		    "name", name, "token", tok));
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	explicit_bzero(hsec, sizeof(hsec));
	json_decref(k);
	json_decref(j);
	free(p);
}

void
soca_web_keys_revoke(struct soca_web *w)
{
	const char *id = w->seg[1];
	char *p = key_path(w, id);
	json_t *k = p ? load(p) : NULL;

	if (k == NULL || (strcmp(json_string_value(json_object_get(k,
	    "user")), w->user) != 0 && !w->admin)) {
		soca_web_error(w, 404, "no such key");
	} else if (unlink(p) < 0) {
		soca_web_error(w, 503, "cannot revoke the key: try again later");
	} else {
		*strrchr(p, '/') = '\0';
		soca_fsync_dir(p);
		soca_web_note(w, "key %s revoked", id);
		soca_web_nocontent(w, 204);
	}
	json_decref(k);
	free(p);
}
