/*
 * dir_pass.c: user passwords on their way to the directory.
 *
 * A password comes from a file (or "-" for standard input), a no-echo
 * prompt on the terminal (readpassphrase(3) from libbsd), or is generated
 * here and printed once; never from a command line or an environment.
 * Buffers holding one are wiped before they are freed.
 */
#include "config.h"

#include <crypt.h>
#include <err.h>
#include <errno.h>
#include <readpassphrase.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "dir.h"

#define PASS_MAX 1024

void
soca_pass_free(char *pw)
{
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
}

/* The first line of a stream, without its newline. */
int
soca_pass_stream(FILE *f, const char *name, char **pw)
{
	char buf[PASS_MAX + 2];
	size_t n;

	*pw = NULL;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	n = strcspn(buf, "\r\n");
	if (n > PASS_MAX) {
		explicit_bzero(buf, sizeof(buf));
		warnx("password file %s: the password is longer than %d bytes",
		    name, PASS_MAX);
		return SOCA_EX_USAGE;
	}
	buf[n] = '\0';
	if (n == 0) {
		warnx("password file %s: the first line is empty", name);
		return SOCA_EX_USAGE;
	}
	*pw = soca_xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
soca_pass_file(const char *path, char **pw)
{
	FILE *f;
	int rc;

	*pw = NULL;
	if (strcmp(path, "-") == 0)
		return soca_pass_stream(stdin, "<stdin>", pw);
	if ((f = fopen(path, "re")) == NULL) {
		warn("password file %s", path);
		return SOCA_EX_USAGE;
	}
	rc = soca_pass_stream(f, path, pw);
	fclose(f);
	return rc;
}

int
soca_pass_prompt(char **pw)
{
	char a[PASS_MAX + 1], b[PASS_MAX + 1];
	int rc = SOCA_EX_USAGE;

	*pw = NULL;
	if (readpassphrase("New password: ", a, sizeof(a),
	    RPP_REQUIRE_TTY) == NULL) {
		warnx("no terminal to ask for the password on (use "
		    "--password-file FILE or --generate-password)");
		return SOCA_EX_USAGE;
	}
	if (readpassphrase("Retype new password: ", b, sizeof(b),
	    RPP_REQUIRE_TTY) == NULL)
		warnx("no terminal to ask for the password on");
	else if (strcmp(a, b) != 0)
		warnx("the passwords differ: nothing changed");
	else {
		*pw = soca_xstrdup(a);
		rc = 0;
	}
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return rc;
}

/*
 * 20 characters (more if [ldap] password_min_length asks) from an alphabet
 * without look-alikes, ~114 bits; drawn again in the rare case it holds
 * the user name, so the result always passes soca_pass_check().
 */
char *
soca_pass_generate(const struct soca_conf *c, const char *user)
{
	static const char set[] = "abcdefghijkmnpqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	long long min = soca_conf_int(c, "ldap", NULL, "password_min_length");
	size_t n = min > 20 ? (size_t)min : 20;
	char *pw = soca_xmalloc(n + 1);

	do {
		for (size_t i = 0; i < n; i++)
			pw[i] = set[arc4random_uniform(sizeof(set) - 1)];
		pw[n] = '\0';
	} while (user != NULL && *user != '\0' && strstr(pw, user) != NULL);
	return pw;
}

/* Why the password breaks the rules (a message for the user), or NULL. */
char *
soca_pass_why(const struct soca_conf *c, const char *user, const char *pw)
{
	long long min = soca_conf_int(c, "ldap", NULL, "password_min_length");
	size_t n = strlen(pw);

	if ((long long)n < min)
		return soca_xasprintf("password refused: %zu characters, at "
		    "least %lld needed ([ldap] password_min_length)", n, min);
	if (n > PASS_MAX)
		return soca_xasprintf("password refused: longer than %d bytes",
		    PASS_MAX);
	for (const char *p = pw; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return soca_xstrdup("password refused: it holds a "
			    "control character");
	if (strstr(pw, user) != NULL)
		return soca_xstrdup("password refused: it contains the user "
		    "name");
	return NULL;
}

int
soca_pass_check(const struct soca_conf *c, const char *user, const char *pw)
{
	char *why = soca_pass_why(c, user, pw);

	if (why == NULL)
		return 0;
	warnx("%s", why);
	free(why);
	return SOCA_EX_USAGE;
}

/* SHA-512 crypt ($6$) with a 16-character random salt. */
char *
soca_pass_crypt(const char *pw)
{
	static const char set[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	struct crypt_data *cd = soca_xcalloc(1, sizeof(*cd));
	char salt[3 + 16 + 2], *h, *out = NULL;

	memcpy(salt, "$6$", 3);
	for (int i = 0; i < 16; i++)
		salt[3 + i] = set[arc4random_uniform(sizeof(set) - 1)];
	strcpy(salt + 19, "$");
	h = crypt_r(pw, salt, cd);
	if (h != NULL && strncmp(h, "$6$", 3) == 0)
		out = soca_xstrdup(h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}
