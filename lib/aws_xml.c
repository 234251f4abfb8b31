/*
 * aws_xml.c: EC2 and S3 XML answers to JSON, with expat.
 *
 * The document becomes a small tree first, then JSON: an element with
 * only text is a string; an element whose children are all <item> or
 * <member> (or all <Bucket> in <Buckets>) is an array (EC2's "...Set"
 * wrappers), an empty "...Set" is an empty array; other elements are objects, and a child name that repeats
 * (or that S3 always repeats, such as Contents) becomes an array.
 * Attributes and namespaces are dropped; the root's name is returned
 * apart.  Depth is bounded so hostile input cannot exhaust the stack.
 */
#include "config.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define MAX_DEPTH 64

struct node {
	char *name;
	struct soca_buf text;
	struct node **kids;
	size_t nkids;
};

struct parse {
	XML_Parser p;
	struct node *stack[MAX_DEPTH + 1];
	int depth;
	struct node *root;
	bool failed;
};

static const char *const always_list[] = { "Contents", "CommonPrefixes",
	"Error", NULL };

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	soca_buf_free(&n->text);
	free(n);
}

static const char *
local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct parse *ps = ud;
	struct node *n, *parent;

	if (ps->depth >= MAX_DEPTH) {
		ps->failed = true;
		XML_StopParser(ps->p, XML_FALSE);
		return;
	}
	n = soca_xcalloc(1, sizeof(*n));
	n->name = soca_xstrdup(local(name));
	if (ps->depth == 0) {
		node_free(ps->root);
		ps->root = n;
	} else {
		parent = ps->stack[ps->depth - 1];
		parent->kids = soca_xreallocarray(parent->kids,
		    parent->nkids + 1, sizeof(*parent->kids));
		parent->kids[parent->nkids++] = n;
	}
	ps->stack[ps->depth++] = n;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct parse *ps = ud;

	if (ps->depth > 0)
		ps->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct parse *ps = ud;

	if (ps->depth > 0 && len > 0)
		soca_buf_add(&ps->stack[ps->depth - 1]->text, s, (size_t)len);
}

static json_t *convert(const struct node *);

/* <Buckets><Bucket/>...</Buckets> */
static bool
plural_of(const char *list, const char *elem)
{
	size_t l = strlen(elem);

	return strncmp(list, elem, l) == 0 && strcmp(list + l, "s") == 0;
}

static bool
is_list(const struct node *n)
{
	size_t l = strlen(n->name);

	if (n->nkids == 0)
		return l > 3 && strcmp(n->name + l - 3, "Set") == 0;
	for (size_t i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i]->name, "item") != 0 &&
		    strcmp(n->kids[i]->name, "member") != 0 &&
		    !plural_of(n->name, n->kids[i]->name))
			return false;
	return true;
}

static bool
repeated(const struct node *parent, const char *name)
{
	size_t seen = 0;

	for (size_t i = 0; always_list[i]; i++)
		if (strcmp(always_list[i], name) == 0)
			return true;
	for (size_t i = 0; i < parent->nkids; i++)
		seen += strcmp(parent->kids[i]->name, name) == 0;
	return seen > 1;
}

static json_t *
convert_object(const struct node *n)
{
	json_t *o = json_object(), *v, *a;

	for (size_t i = 0; i < n->nkids; i++) {
		const struct node *k = n->kids[i];
		v = convert(k);
		if (!repeated(n, k->name)) {
			json_object_set_new(o, k->name, v);
			continue;
		}
		if ((a = json_object_get(o, k->name)) == NULL ||
		    !json_is_array(a)) {
			a = json_array();
			json_object_set_new(o, k->name, a);
		}
		json_array_append_new(a, v);
	}
	return o;
}

static json_t *
convert(const struct node *n)
{
	json_t *a;

	if (is_list(n)) {
		a = json_array();
		for (size_t i = 0; i < n->nkids; i++)
			json_array_append_new(a, convert(n->kids[i]));
		return a;
	}
	if (n->nkids > 0)
		return convert_object(n);
	return json_stringn(n->text.s ? n->text.s : "", n->text.len);
}

json_t *
soca_aws_xml_to_json(const char *text, size_t len, char **root)
{
	struct parse ps = { 0 };
	json_t *j = NULL;
	bool ok;

	if (root)
		*root = NULL;
	if ((ps.p = XML_ParserCreate("UTF-8")) == NULL)
		return NULL;
	XML_SetUserData(ps.p, &ps);
	XML_SetElementHandler(ps.p, on_start, on_end);
	XML_SetCharacterDataHandler(ps.p, on_text);
	ok = len <= INT32_MAX && XML_Parse(ps.p, text, (int)len, XML_TRUE) ==
	    XML_STATUS_OK && !ps.failed && ps.root != NULL;
	if (ok) {
		j = ps.root->nkids > 0 ? convert_object(ps.root) :
		    json_object();
		if (root)
			*root = soca_xstrdup(ps.root->name);
	}
	node_free(ps.root);
	XML_ParserFree(ps.p);
	if (j == NULL && ok)
		abort();
	return j;
}
