/* t_dir.c: name validation and LDAP filter and DN escaping. */
#include "config.h"

#include <stdlib.h>

#include "soca.h"
#include "dir.h"
#include "tap.h"

static void
names(void)
{
	static const char *bad[] = { "", "*", "a*)(uid=*", "x,ou=People",
	    "../etc", "root", "daemon", "nobody", "Alice", "9lives", "-x",
	    "a b", "a\tb", "a\nb", "caf\xc3\xa9", "\xe2\x98\x83", "a=b",
	    "a+b", "a\\b", "a#", "abcdefghijklmnopqrstuvwxyz0123456",
	    "systemd-foo", NULL };
	static const char *good[] = { "alice", "_svc", "team-a", "j_doe2",
	    "abcdefghijklmnopqrstuvwxyz012345", NULL };

	for (int i = 0; bad[i]; i++)
		ok(soca_dir_name_check("user", bad[i]) == SOCA_EX_USAGE,
		    "name #%d refused", i);
	for (int i = 0; good[i]; i++)
		ok(soca_dir_name_check("user", good[i]) == 0,
		    "name %s accepted", good[i]);
	ok(soca_dir_mail_check("a@b.org") == 0, "mail accepted");
	ok(soca_dir_mail_check("a@b") != 0, "mail without a dot refused");
	ok(soca_dir_mail_check("a b@c.org") != 0, "mail with space refused");
	ok(soca_dir_mail_check("a@b.org)(x=*") != 0, "mail with ( refused");
	ok(soca_dir_shell_check("/bin/bash") == 0, "shell accepted");
	ok(soca_dir_shell_check("bash") != 0, "relative shell refused");
	ok(soca_dir_shell_check("/bin/sh -c x") != 0,
	    "shell with space refused");
}

static void
esc_is(char *(*f)(const char *), const char *in, const char *want,
    const char *what)
{
	char *got = f(in);

	is_str(got, want, "%s", what);
	free(got);
}

static void
escaping(void)
{
	esc_is(soca_dir_filter_esc, "alice", "alice", "filter: plain");
	esc_is(soca_dir_filter_esc, "*", "\\2a", "filter: *");
	esc_is(soca_dir_filter_esc, "a*)(uid=*", "a\\2a\\29\\28uid=\\2a",
	    "filter: injection");
	esc_is(soca_dir_filter_esc, "a\\b", "a\\5cb", "filter: backslash");
	esc_is(soca_dir_filter_esc, "\xc3\xa9", "\\c3\\a9", "filter: utf-8");
	esc_is(soca_dir_filter_esc, "", "", "filter: empty");
	esc_is(soca_dir_dn_esc, "alice", "alice", "dn: plain");
	esc_is(soca_dir_dn_esc, "x,ou=People", "x\\,ou\\=People", "dn: comma");
	esc_is(soca_dir_dn_esc, "a+b;c<d>e\"f\\", "a\\+b\\;c\\<d\\>e\\\"f\\\\",
	    "dn: specials");
	esc_is(soca_dir_dn_esc, " #x ", "\\ #x\\ ", "dn: leading space, "
	    "trailing space");
	esc_is(soca_dir_dn_esc, "#a", "\\#a", "dn: leading #");
	esc_is(soca_dir_dn_esc, "a\nb", "a\\0ab", "dn: control");
}

static void
passwords(void)
{
	struct soca_conf *c = soca_conf_parse("t", "", 0);
	static const char min40[] = "[ldap]\npassword_min_length = 40\n";
	struct soca_conf *c40 = soca_conf_parse("t", min40, sizeof(min40) - 1);
	char *g = soca_pass_generate(c, "alice"), *g2 = soca_pass_generate(c,
	    "alice");
	char *h = soca_pass_crypt("correct horse battery"), *g3, *why;
	int held = 0;

	is_int((long long)strlen(g), 20, "generated password: 20 characters");
	ok(strcmp(g, g2) != 0, "two generated passwords differ");
	ok(soca_pass_check(c, "alice", g) == 0, "generated password passes");
	ok(soca_pass_check(c, "alice", "short") == SOCA_EX_USAGE,
	    "short password refused");
	ok(soca_pass_check(c, "alice", "alice-is-my-name") == SOCA_EX_USAGE,
	    "password holding the name refused");
	ok(soca_pass_check(c, "alice", "tab\there-xxxxxx") == SOCA_EX_USAGE,
	    "control character refused");
	why = soca_pass_why(c, "alice", "short");
	is_str(why, "password refused: 5 characters, at least 12 needed "
	    "([ldap] password_min_length)", "the reason, for the web door");
	free(why);
	why = soca_pass_why(c, "alice", "my-name-is-alice");
	is_str(why, "password refused: it contains the user name",
	    "the reason: the name");
	free(why);
	ok(soca_pass_why(c, "alice", g) == NULL, "no reason for a good one");
	ok(h != NULL && strncmp(h, "$6$", 3) == 0 && strlen(h) > 3 + 16 + 80,
	    "sha-512 crypt");
	g3 = soca_pass_generate(c40, "x");
	is_int((long long)strlen(g3), 40, "generated: password_min_length 40");
	ok(soca_pass_check(c40, "x", g3) == 0, "long generated password passes");
	free(g3);
	/* a one-letter name would be in most draws: never in what is returned */
	for (int i = 0; i < 200; i++) {
		g3 = soca_pass_generate(c, "a");
		held += strchr(g3, 'a') != NULL;
		free(g3);
	}
	is_int(held, 0, "generated passwords never hold the user name");
	free(g), free(g2), free(h);
	soca_conf_free(c);
	soca_conf_free(c40);
}

void
t_dir(void)
{
	names();
	escaping();
	passwords();
}
