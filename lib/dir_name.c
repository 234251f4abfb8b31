/*
 * dir_name.c: what may become a user or group name, and the escaping of
 * every value that goes into an LDAP filter (RFC 4515) or DN (RFC 4514).
 *
 * Names are checked before any LDAP call: the portable POSIX form
 * [a-z_][a-z0-9_-]* (lowercase, as useradd(8) expects), at most
 * SOCA_DIR_NAME_MAX bytes, and never a system account's name.  The
 * escapers are used anyway, so a name that got past the check could
 * still not change a filter's or a DN's meaning.
 */
#include "config.h"

#include <err.h>
#include <pwd.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "dir.h"

/* accounts a directory user must never shadow, on any node */
static const char *const reserved[] = {
	"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail",
	"news", "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats",
	"nobody", "nogroup", "sshd", "admin", "wheel", "sudo", "adm", "staff",
	"users", "operator", "shadow", "utmp", "tty", "disk", "kmem",
	"ec2-user", "ubuntu", "centos", "rocky", "ssm-user", "slurm", "munge",
	"nslcd", "openldap", "_apt", NULL,
};

static int
reserved_name(const char *s)
{
	struct passwd *pw;
	struct group *gr;

	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(s, reserved[i]) == 0)
			return 1;
	if (strncmp(s, "systemd-", 8) == 0)
		return 1;
	/* a local system account (uid or gid below 1000) */
	if ((pw = getpwnam(s)) != NULL && pw->pw_uid < 1000)
		return 1;
	if ((gr = getgrnam(s)) != NULL && gr->gr_gid < 1000)
		return 1;
	return 0;
}

/* Printable form of a rejected name for messages: no control bytes. */
static char *
shown(const char *s)
{
	struct soca_buf b = { 0 };

	soca_buf_esc(&b, s, strlen(s));
	if (b.s == NULL)
		soca_buf_adds(&b, "");
	return soca_buf_steal(&b);
}

int
soca_dir_name_check(const char *what, const char *name)
{
	size_t n = strlen(name);
	const char *why = NULL;
	char *v;

	if (n == 0)
		why = "it is empty";
	else if (n > SOCA_DIR_NAME_MAX)
		why = "it is longer than 32 characters";
	else if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z')))
		why = "it must start with a lowercase letter or _";
	else if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		why = "only lowercase letters, digits, _ and - are allowed";
	else if (reserved_name(name))
		why = "it is reserved for a system account";
	if (why == NULL)
		return 0;
	v = shown(name);
	warnx("%s name \"%s\" refused: %s (use a portable name such as "
	    "\"jdoe\" or \"team_a\")", what, v, why);
	free(v);
	return SOCA_EX_USAGE;
}

/* the same rule, without a message (and without the reserved names) */
bool
soca_dir_name_ok_quiet(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= SOCA_DIR_NAME_MAX && (name[0] == '_' ||
	    (name[0] >= 'a' && name[0] <= 'z')) &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int
soca_dir_mail_check(const char *m)
{
	const char *at = strchr(m, '@');
	char *v;

	if (at != NULL && at != m && at[1] != '\0' && strchr(at + 1, '@') ==
	    NULL && strchr(at, '.') != NULL && strlen(m) <= 254) {
		for (const char *p = m; *p; p++)
			if ((unsigned char)*p <= ' ' ||
			    (unsigned char)*p >= 127 ||
			    strchr("()<>,;:\\\"[]*", *p) != NULL)
				goto bad;
		return 0;
	}
bad:
	v = shown(m);
	warnx("email \"%s\" refused: expected a plain address such as "
	    "jdoe@example.com", v);
	free(v);
	return SOCA_EX_USAGE;
}

int
soca_dir_shell_check(const char *s)
{
	char *v;

	if (s[0] == '/' && strlen(s) < 256 && strstr(s, "/../") == NULL &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/._-+") == strlen(s))
		return 0;
	v = shown(s);
	warnx("shell \"%s\" refused: expected an absolute path such as "
	    "/bin/bash", v);
	free(v);
	return SOCA_EX_USAGE;
}

/* RFC 4515 section 3: \XX for * ( ) \ and NUL (and any byte >= 0x80). */
char *
soca_dir_filter_esc(const char *s)
{
	struct soca_buf b = { 0 };

	soca_buf_adds(&b, "");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("*()\\", c) != NULL || c < 0x20 || c >= 0x7f)
			soca_buf_addf(&b, "\\%02x", c);
		else
			soca_buf_addc(&b, (char)c);
	}
	return soca_buf_steal(&b);
}

/* RFC 4514 section 2.4: a DN attribute value. */
char *
soca_dir_dn_esc(const char *s)
{
	struct soca_buf b = { 0 };
	size_t n = strlen(s);

	soca_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			soca_buf_addf(&b, "\\%02x", c);
		else if (strchr("\"+,;<>\\=", c) != NULL ||
		    (i == 0 && (c == ' ' || c == '#')) ||
		    (i == n - 1 && c == ' '))
			soca_buf_addf(&b, "\\%c", c);
		else
			soca_buf_addc(&b, (char)c);
	}
	return soca_buf_steal(&b);
}
