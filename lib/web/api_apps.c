/*
 * api_apps.c: /api/applications, administrators' application profiles.
 *
 * Owns the profiles of [web] applications (one NAME.json a profile:
 * label, description, queue, interpreter, resources, typed fields and a
 * script template), their check (a file that is not valid is left out
 * and named in the audit line), and the making of a script submission
 * from {"application", "parameters"}: each parameter is checked by its
 * field (type, range, choices, pattern, a path relative to the home
 * without "..") and put in the template's ${field} single-quoted for
 * the shell, so a value is always one literal word.  api_jobs.c then
 * submits the result exactly as a script someone wrote.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

#define MAXFILE (256 * 1024)
#define MAXSTRING 256

static const char *const types[] = { "int", "number", "string", "choice",
	"path", NULL };

const char *
soca_web_apps_dir(const struct soca_web *w)
{
	const char *d = soca_conf_get(w->conf, "web", NULL, "applications");

	return d ? d : "/etc/soca/applications";
}

static bool
field_name_ok(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
	    *k == '_') || strlen(k) > 64)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

static bool
text(json_t *v, bool empty)
{
	return json_is_string(v) && (empty || json_string_length(v) > 0) &&
	    json_string_length(v) == strlen(json_string_value(v));
}

/* NULL when every key of object o is in keys, else a message: WHAT "KEY"
 * (known: the keys) */
static char *
unknown_key(json_t *o, const char *const *keys, const char *what)
{
	struct soca_buf b = { 0 };
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (!soca_web_in_list(k, keys))
			break;
	if (k == NULL)
		return NULL;
	soca_buf_addf(&b, "%s \"%.64s\" (known: ", what, k);
	for (size_t i = 0; keys[i] != NULL; i++)
		soca_buf_addf(&b, "%s%s", i ? ", " : "", keys[i]);
	soca_buf_addc(&b, ')');
	return soca_buf_steal(&b);
}

/* a number out of a JSON number or a form's string; false if neither */
static bool
number(json_t *v, bool integer, double *d, long long *ll)
{
	const char *s;
	char *end;

	if (integer && json_is_integer(v)) {
		*ll = json_integer_value(v);
		*d = (double)*ll;
		return true;
	}
	if (!integer && json_is_number(v)) {
		*d = json_number_value(v);
		return isfinite(*d);
	}
	if (!json_is_string(v) || !*(s = json_string_value(v)) ||
	    strlen(s) > 64)
		return false;
	errno = 0;
	if (integer) {
		if (strspn(s + (*s == '-'), "0123456789") != strlen(s + (*s ==
		    '-')) || s[*s == '-'] == '\0')
			return false;
		*ll = strtoll(s, &end, 10);
		*d = (double)*ll;
		return errno == 0 && *end == '\0';
	}
	if (strspn(s, "+-0123456789.eE") != strlen(s))
		return false;
	*d = strtod(s, &end);
	return errno == 0 && *end == '\0' && isfinite(*d);
}

/*
 * The value of a parameter as text for the template, or NULL with why
 * (allocated): the rule and the fix.
 */
static char *
param(json_t *f, json_t *v, char **why)
{
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *type = json_string_value(json_object_get(f, "type"));
	json_t *min = json_object_get(f, "min"), *max = json_object_get(f,
	    "max"), *c;
	const char *pat, *s;
	double d;
	long long ll = 0;
	size_t i;
	regex_t re;
	char *anchored;
	int rc;

	*why = NULL;
	if (strcmp(type, "int") == 0 || strcmp(type, "number") == 0) {
		bool in = strcmp(type, "int") == 0;

		if (!number(v, in, &d, &ll)) {
			*why = soca_xasprintf("parameter %s must be %s: give "
			    "digits%s", name, in ? "an integer" : "a number",
			    in ? " (an optional '-' first)" : ", '.' and 'e'");
			return NULL;
		}
		if ((min && d < json_number_value(min)) ||
		    (max && d > json_number_value(max))) {
			*why = soca_xasprintf("parameter %s is out of range: "
			    "give a value from %.17g to %.17g", name, min ?
			    json_number_value(min) : -INFINITY, max ?
			    json_number_value(max) : INFINITY);
			return NULL;
		}
		if (in)
			return soca_xasprintf("%lld", ll);
		return json_is_string(v) ? soca_xstrdup(json_string_value(v)) :
		    soca_xasprintf("%.17g", d);
	}
	if (!text(v, true)) {
		*why = soca_xasprintf("parameter %s must be a string without "
		    "NUL", name);
		return NULL;
	}
	s = json_string_value(v);
	if (strcmp(type, "choice") == 0) {
		json_array_foreach(json_object_get(f, "choices"), i, c)
			if (strcmp(json_string_value(c), s) == 0)
				return soca_xstrdup(s);
		*why = soca_xasprintf("parameter %s is not one of its choices: "
		    "give one of GET /api/applications' choices", name);
		return NULL;
	}
	if (strcmp(type, "path") == 0) {
		if (!soca_web_path_ok(s) || strcmp(s, ".") == 0) {
			*why = soca_xasprintf("parameter %s is not a path in "
			    "your home: give it relative to your home, without "
			    "\".\" or \"..\" components, empty components or "
			    "control characters", name);
			return NULL;
		}
		return soca_xstrdup(s);
	}
	/* string */
	if (strlen(s) > MAXSTRING) {
		*why = soca_xasprintf("parameter %s is longer than %d bytes: "
		    "give a shorter value", name, MAXSTRING);
		return NULL;
	}
	if ((pat = json_string_value(json_object_get(f, "pattern"))) != NULL) {
		anchored = soca_xasprintf("^(%s)$", pat);
		rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0) {
			*why = soca_xasprintf("parameter %s: the profile's "
			    "pattern does not compile", name);
			return NULL;
		}
		rc = regexec(&re, s, 0, NULL, 0);
		regfree(&re);
		if (rc != 0) {
			*why = soca_xasprintf("parameter %s does not match its "
			    "pattern %s: give a value that does", name, pat);
			return NULL;
		}
	}
	return soca_xstrdup(s);
}

/* NULL if the field is valid, or why (allocated) */
static char *
field_check(json_t *f, json_t *seen)
{
	static const char *const fk[] = { "name", "label", "type", "required",
		"default", "min", "max", "choices", "pattern", NULL };
	const char *name, *type;
	json_t *v, *c;
	char *why, *s;
	size_t i;
	regex_t re;

	if (!json_is_object(f))
		return soca_xstrdup("a field is an object");
	if ((why = unknown_key(f, fk, "a field has the unknown key")) != NULL)
		return why;
	if (!text(json_object_get(f, "name"), false) ||
	    !field_name_ok(name = json_string_value(json_object_get(f,
	    "name"))))
		return soca_xstrdup("a field's name is letters, digits and '_' "
		    "(not first), at most 64");
	if (json_object_get(seen, name))
		return soca_xasprintf("field %s is defined twice", name);
	json_object_set_new(seen, name, json_true());
	if (!text(json_object_get(f, "label"), false))
		return soca_xasprintf("field %s: label is a non-empty string",
		    name);
	if (!json_is_string(json_object_get(f, "type")) ||
	    !soca_web_in_list(type = json_string_value(json_object_get(f, "type")),
	    types))
		return soca_xasprintf("field %s: type is one of int, number, "
		    "string, choice, path", name);
	if ((v = json_object_get(f, "required")) && !json_is_boolean(v))
		return soca_xasprintf("field %s: required is true or false",
		    name);
	if (json_object_get(f, "min") || json_object_get(f, "max")) {
		if (strcmp(type, "int") && strcmp(type, "number"))
			return soca_xasprintf("field %s: min and max are for "
			    "int and number fields", name);
		if ((v = json_object_get(f, "min")) && !json_is_number(v))
			return soca_xasprintf("field %s: min is a number", name);
		if ((v = json_object_get(f, "max")) && !json_is_number(v))
			return soca_xasprintf("field %s: max is a number", name);
	}
	v = json_object_get(f, "choices");
	if ((v != NULL) != (strcmp(type, "choice") == 0))
		return soca_xasprintf("field %s: choices go with type choice, "
		    "and only with it", name);
	if (v != NULL) {
		if (!json_is_array(v) || json_array_size(v) == 0)
			return soca_xasprintf("field %s: choices is a non-empty "
			    "array of strings", name);
		json_array_foreach(v, i, c)
			if (!text(c, false) || json_string_length(c) > MAXSTRING)
				return soca_xasprintf("field %s: choices is a "
				    "non-empty array of strings", name);
	}
	if ((v = json_object_get(f, "pattern")) != NULL) {
		if (strcmp(type, "string") != 0 || !text(v, false))
			return soca_xasprintf("field %s: pattern is a string, "
			    "for string fields", name);
		s = soca_xasprintf("^(%s)$", json_string_value(v));
		i = regcomp(&re, s, REG_EXTENDED | REG_NOSUB) == 0;
		free(s);
		if (!i)
			return soca_xasprintf("field %s: pattern is not a POSIX "
			    "extended regular expression", name);
		regfree(&re);
	}
	if ((v = json_object_get(f, "default")) != NULL) {
		if ((s = param(f, v, &why)) == NULL) {
			s = soca_xasprintf("field %s: its default: %s", name,
			    why);
			free(why);
			return s;
		}
		free(s);
	}
	return NULL;
}

/* NULL if the profile is valid, or why (allocated) */
static char *
profile_check(json_t *p)
{
	static const char *const pk[] = { "label", "description", "queue",
		"interpreter", "resources", "fields", "script", NULL };
	json_t *v, *f, *seen;
	char *why = NULL;
	size_t i;

	if (!json_is_object(p))
		return soca_xstrdup("a profile is a JSON object");
	if ((why = unknown_key(p, pk, "unknown key")) != NULL)
		return why;
	if (!text(json_object_get(p, "label"), false))
		return soca_xstrdup("label is a non-empty string");
	if ((v = json_object_get(p, "description")) && !text(v, true))
		return soca_xstrdup("description is a string");
	if ((v = json_object_get(p, "queue")) &&
	    (!text(v, false) || !soca_name_ok(json_string_value(v))))
		return soca_xstrdup("queue is a queue's name");
	if ((v = json_object_get(p, "interpreter")) && !text(v, false))
		return soca_xstrdup("interpreter is a string");
	if ((v = json_object_get(p, "resources")) && !json_is_object(v))
		return soca_xstrdup("resources is an object of key: value");
	if (!text(json_object_get(p, "script"), false))
		return soca_xstrdup("script is a non-empty string");
	v = json_object_get(p, "fields");
	if (v != NULL && !json_is_array(v))
		return soca_xstrdup("fields is an array of objects");
	seen = json_object();
	json_array_foreach(v, i, f)
		if ((why = field_check(f, seen)) != NULL)
			break;
	json_decref(seen);
	return why;
}

/* NAME.json of the directory, checked; NULL with why (allocated) */
static json_t *
load(const char *dir, const char *name, char **why, bool *missing)
{
	char *path = soca_xasprintf("%s/%s.json", dir, name);
	json_error_t e;
	json_t *p;
	FILE *f;

	*missing = false;
	*why = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		*missing = errno == ENOENT;
		*why = soca_xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	p = json_loadf(f, JSON_REJECT_DUPLICATES, &e);
	if (p == NULL)
		*why = soca_xasprintf("%s: line %d: %s", path, e.line, e.text);
	else if (ftell(f) > MAXFILE) {
		*why = soca_xasprintf("%s: larger than %d bytes", path, MAXFILE);
		json_decref(p);
		p = NULL;
	} else if ((*why = profile_check(p)) != NULL) {
		char *s = soca_xasprintf("%s: %s", path, *why);

		free(*why);
		*why = s;
		json_decref(p);
		p = NULL;
	}
	fclose(f);
	free(path);
	return p;
}

/* the profiles' names, sorted: NAME.json with NAME by soca's rules */
static size_t
names(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, l;

	*out = NULL;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		v = soca_xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = soca_xasprintf("%.*s", (int)(l - 5), e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), soca_strv_cmp);
	*out = v;
	return n;
}

/*
 * soca-api --check-applications: each profile of the directory, "NAME
 * ok" or its file and why; 0 when all are valid, 2 otherwise.
 */
int
soca_web_apps_check(struct soca_conf *conf, FILE *out, FILE *err)
{
	struct soca_web w = { .conf = conf };
	const char *dir = soca_web_apps_dir(&w);
	char **v, *why;
	size_t n;
	int rc = 0;
	json_t *p;
	bool missing;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(err, "soca-api: %s: %s (set [web] applications to the "
		    "profiles' directory)\n", dir, strerror(errno));
		return 2;
	}
	closedir(d);
	n = names(dir, &v);
	for (size_t i = 0; i < n; i++) {
		if (!soca_name_ok(v[i])) {
			fprintf(err, "soca-api: %s/%s.json: the name is not a "
			    "soca name (letters, digits, '-' and '_'): rename it\n",
			    dir, v[i]);
			rc = 2;
		} else if ((p = load(dir, v[i], &why, &missing)) == NULL) {
			fprintf(err, "soca-api: %s\n", why);
			free(why);
			rc = 2;
		} else {
			fprintf(out, "%s ok\n", v[i]);
			json_decref(p);
		}
	}
	soca_strv_free(v, n);
	return rc;
}

static json_t *
with_name(json_t *p, const char *name)
{
	json_object_set_new(p, "name", json_string(name));
	return p;
}

void
soca_web_apps_list(struct soca_web *w)
{
	const char *dir = soca_web_apps_dir(w);
	json_t *a = json_array(), *p;
	char **v, *why;
	size_t n = names(dir, &v);
	bool missing;

	if (n == 0 && access(dir, R_OK | X_OK) != 0 && errno != ENOENT)
		soca_web_note(w, "applications %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		why = NULL;
		if (!soca_name_ok(v[i]))
			soca_web_note(w, "application file %s/%s.json left out: "
			    "its name is not a soca name", dir, v[i]);
		else if ((p = load(dir, v[i], &why, &missing)) == NULL)
			soca_web_note(w, "application left out: %s", why);
		else
			json_array_append_new(a, with_name(p, v[i]));
		free(why);
	}
	soca_strv_free(v, n);
	soca_web_json(w, 200, a);
}

/* the profile named, or NULL after answering 400/404 */
static json_t *
find(struct soca_web *w, const char *name)
{
	json_t *p;
	char *why;
	bool missing;

	if (!soca_name_ok(name)) {
		soca_web_error(w, 400, "bad application name \"%.64s\": a name "
		    "is letters, digits, '-' and '_' (GET /api/applications "
		    "lists them)", name);
		return NULL;
	}
	if ((p = load(soca_web_apps_dir(w), name, &why, &missing)) == NULL) {
		if (!missing)
			soca_web_note(w, "application left out: %s", why);
		free(why);
		soca_web_error(w, 404, "no such application \"%s\" (GET "
		    "/api/applications lists them)", name);
		return NULL;
	}
	return with_name(p, name);
}

void
soca_web_apps_show(struct soca_web *w)
{
	json_t *p = find(w, w->seg[1]);

	if (p != NULL)
		soca_web_json(w, 200, p);
}

static void
quote(struct soca_buf *b, const char *s)
{
	soca_buf_addc(b, '\'');
	for (; *s; s++)
		if (*s == '\'')
			soca_buf_adds(b, "'\\''");
		else
			soca_buf_addc(b, *s);
	soca_buf_addc(b, '\'');
}

/* the template with each ${field} replaced by its quoted value */
static char *
render(const char *t, json_t *vals)
{
	struct soca_buf b = { 0 };
	const char *e, *v;
	char *k;

	while (*t) {
		if (t[0] != '$' || t[1] != '{' || (e = strchr(t + 2, '}')) ==
		    NULL) {
			soca_buf_addc(&b, *t++);
			continue;
		}
		k = soca_xasprintf("%.*s", (int)(e - t - 2), t + 2);
		if ((v = json_string_value(json_object_get(vals, k))) != NULL) {
			quote(&b, v);
			t = e + 1;
		} else {
			soca_buf_addc(&b, *t++);
		}
		free(k);
	}
	if (b.s == NULL)
		soca_buf_adds(&b, "");
	return soca_buf_steal(&b);
}

json_t *
soca_web_apps_submission(struct soca_web *w, json_t *j)
{
	static const char *const rk[] = { "application", "parameters", "name",
		"project", "hold", NULL };
	json_t *app = json_object_get(j, "application"), *ps, *p, *f, *v, *out,
	    *vals;
	const char *k, *fname;
	char *why, *s;
	size_t i;

	json_object_foreach(j, k, v)
		if (!soca_web_in_list(k, rk)) {
			soca_web_error(w, 400, "unknown field \"%.64s\" beside "
			    "application (allowed: parameters, name, project, "
			    "hold)", k);
			return NULL;
		}
	if (!text(app, false)) {
		soca_web_error(w, 400, "application must be a profile's name "
		    "(GET /api/applications)");
		return NULL;
	}
	ps = json_object_get(j, "parameters");
	if (ps != NULL && !json_is_object(ps)) {
		soca_web_error(w, 400, "parameters must be an object of field: "
		    "value");
		return NULL;
	}
	if ((p = find(w, json_string_value(app))) == NULL)
		return NULL;
	vals = json_object();
	out = NULL;
	json_object_foreach(ps, k, v) {
		bool known = false;

		json_array_foreach(json_object_get(p, "fields"), i, f)
			known = known || strcmp(json_string_value(
			    json_object_get(f, "name")), k) == 0;
		if (!known) {
			soca_web_error(w, 400, "unknown parameter \"%.64s\": "
			    "application %s has no such field (GET "
			    "/api/applications/%s lists them)", k,
			    json_string_value(app), json_string_value(app));
			goto out;
		}
	}
	json_array_foreach(json_object_get(p, "fields"), i, f) {
		fname = json_string_value(json_object_get(f, "name"));
		v = json_object_get(ps, fname);
		if (v == NULL)
			v = json_object_get(f, "default");
		if (v == NULL && json_is_true(json_object_get(f, "required"))) {
			soca_web_error(w, 400, "parameter %s is required: give "
			    "it in parameters", fname);
			goto out;
		}
		if (v == NULL) {
			json_object_set_new(vals, fname, json_string(""));
			continue;
		}
		if ((s = param(f, v, &why)) == NULL) {
			soca_web_error(w, 400, "%s", why);
			free(why);
			goto out;
		}
		json_object_set_new(vals, fname, json_string(s));
		free(s);
	}
	s = render(json_string_value(json_object_get(p, "script")), vals);
	out = json_pack("{s:s%}", "script", s, strlen(s));
	free(s);
	if (out == NULL) {
		soca_web_error(w, 500, "internal error");
		goto out;
	}
	json_object_set(out, "name", json_object_get(j, "name") ?
	    json_object_get(j, "name") : app);
	if ((v = json_object_get(j, "project")) != NULL)
		json_object_set(out, "project", v);
	if ((v = json_object_get(j, "hold")) != NULL)
		json_object_set(out, "hold", v);
	if ((v = json_object_get(p, "queue")) != NULL)
		json_object_set(out, "queue", v);
	if ((v = json_object_get(p, "interpreter")) != NULL)
		json_object_set(out, "interpreter", v);
	if ((v = json_object_get(p, "resources")) != NULL)
		json_object_set(out, "resources", v);
	soca_web_note(w, "application %s", json_string_value(app));
out:
	json_decref(vals);
	json_decref(p);
	return out;
}
