/*
 * aws_err.c: one error for every AWS protocol.
 *
 * Whatever went wrong -- an AWS error in EC2's or S3's XML, a JSON 1.1
 * `__type`, a refused connection, an answer that does not parse, missing
 * credentials -- ends up in struct soca_aws_err with the HTTP status, the
 * AWS code, the message and the request id, and maps to one exit code.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

void
soca_aws_err_free(struct soca_aws_err *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	memset(e, 0, sizeof(*e));
}

void
soca_aws_err_set(struct soca_aws_err *e, enum soca_aws_ekind kind,
    long status, const char *code, const char *fmt, ...)
{
	struct soca_buf b = { 0 };
	int attempts = e->attempts;
	va_list ap;

	soca_aws_err_free(e);
	e->kind = kind;
	e->status = status;
	e->attempts = attempts;
	e->code = code ? soca_xstrdup(code) : NULL;
	va_start(ap, fmt);
	soca_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	e->message = soca_buf_steal(&b);
}

char *
soca_aws_err_str(const struct soca_aws_err *e)
{
	struct soca_buf b = { 0 };

	if (e->code)
		soca_buf_addf(&b, "%s: ", e->code);
	soca_buf_esc(&b, e->message ? e->message : "unknown error",
	    strlen(e->message ? e->message : "unknown error"));
	if (e->request_id)
		soca_buf_addf(&b, " (request id %s)", e->request_id);
	else if (e->status && e->code)
		soca_buf_addf(&b, " (HTTP %ld)", e->status);
	return soca_buf_steal(&b);
}

int
soca_aws_err_exit(const struct soca_aws_err *e)
{
	switch (e->kind) {
	case SOCA_AWS_OK:
		return SOCA_EX_OK;
	case SOCA_AWS_E_NET:
		return SOCA_EX_TEMP;
	case SOCA_AWS_E_SERVICE:
		return soca_aws_retryable(e) ? SOCA_EX_TEMP : SOCA_EX_FALSE;
	case SOCA_AWS_E_CREDS:
	case SOCA_AWS_E_INPUT:
		return SOCA_EX_USAGE;
	case SOCA_AWS_E_PARSE:
		break;
	}
	return SOCA_EX_FALSE;
}

static char *
jstr(json_t *o, const char *a, const char *b)
{
	const char *s = json_string_value(json_object_get(o, a));

	if (s == NULL && b)
		s = json_string_value(json_object_get(o, b));
	return s ? soca_xstrdup(s) : NULL;
}

/* `ns#Code:suffix` -> `Code` */
static char *
short_type(const char *t)
{
	const char *h = strrchr(t, '#');

	t = h ? h + 1 : t;
	return soca_xstrndup(t, strcspn(t, ":"));
}

bool
soca_aws_err_json(struct soca_aws_err *e, long status, const char *body,
    size_t len, const char *request_id)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "__type"));
	char *msg;

	if (t == NULL)
		t = json_string_value(json_object_get(j, "code"));
	if (t == NULL) {
		json_decref(j);
		return false;
	}
	msg = jstr(j, "message", "Message");
	soca_aws_err_set(e, SOCA_AWS_E_SERVICE, status, NULL, "%s",
	    msg ? msg : "");
	e->code = short_type(t);
	e->request_id = request_id ? soca_xstrdup(request_id) : NULL;
	free(msg);
	json_decref(j);
	return true;
}

bool
soca_aws_err_xml(struct soca_aws_err *e, long status, const char *body,
    size_t len, const char *request_id)
{
	char *root = NULL, *msg, *code, *rid;
	json_t *j = soca_aws_xml_to_json(body, len, &root), *err = j;

	if (j && root && strcmp(root, "Response") == 0) {
		err = json_object_get(j, "Errors");
		err = json_is_array(err) ? json_array_get(err, 0) :
		    json_array_get(json_object_get(err, "Error"), 0);
	}
	else if (j && json_object_get(j, "Error"))
		err = json_array_get(json_object_get(j, "Error"), 0);
	code = jstr(err, "Code", NULL);
	if (code == NULL) {
		free(root);
		json_decref(j);
		return false;
	}
	msg = jstr(err, "Message", NULL);
	rid = jstr(j, "RequestID", "RequestId");
	soca_aws_err_set(e, SOCA_AWS_E_SERVICE, status, code, "%s",
	    msg ? msg : "");
	e->request_id = rid ? rid : request_id ? soca_xstrdup(request_id) :
	    NULL;
	free(code);
	free(msg);
	free(root);
	json_decref(j);
	return true;
}
