/*
 * aws_ami.c: what soca needs to know about an AMI, asked once per AMI.
 * The root device name (DescribeImages' RootDeviceName: /dev/xvda on
 * Amazon Linux, /dev/sda1 on Ubuntu or RHEL) decides which block device
 * mapping resizes the root volume; it never changes for an AMI, so the
 * answer is kept in aws/ami/AMI in the spool and DescribeImages goes out
 * once per AMI, not once per job.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "provider_aws.h"

static char *
cache_path(const struct soca_conf *c, const char *ami, bool mk)
{
	const char *spool = soca_conf_get(c, "cluster", NULL, "spool");
	char *d;

	if (mk) {
		d = soca_xasprintf("%s/aws", spool);
		mkdir(d, 02770);
		free(d);
		d = soca_xasprintf("%s/aws/ami", spool);
		mkdir(d, 02770);
		free(d);
	}
	return soca_xasprintf("%s/aws/ami/%s", spool, ami);
}

static char *
cached(const struct soca_conf *c, const char *ami)
{
	char *p = cache_path(c, ami, false), line[256];
	FILE *f = fopen(p, "r");

	free(p);
	if (f == NULL)
		return NULL;
	if (fgets(line, sizeof(line), f) == NULL || line[0] != '/') {
		fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return soca_xstrdup(line);
}

/*
 * The AMI's root device name; NULL and *why when AWS cannot say, with
 * *temp true when asking again later may help (network, throttling).
 */
char *
soca_aws_root_device(const struct soca_conf *c, const char *ami, char **why,
    bool *temp)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	json_t *p, *r = NULL, *img;
	const char *dev;
	char *s, *path, *line, *out = NULL;

	*temp = false;
	if ((out = cached(c, ami)) != NULL)
		return out;
	if (strchr(ami, '/') != NULL || ami[0] == '.') {
		*why = soca_xasprintf("instance_ami %s: not an AMI id; give "
		    "ami-...", ami);
		return NULL;
	}
	p = json_pack("{s:[s]}", "ImageId", ami);
	if ((a = soca_aws_open(c, &e)) != NULL)
		r = soca_aws_ec2(a, "DescribeImages", p, &e);
	json_decref(p);
	img = json_array_get(json_object_get(r, "imagesSet"), 0);
	dev = json_string_value(json_object_get(img, "rootDeviceName"));
	if (dev && dev[0] == '/') {
		out = soca_xstrdup(dev);
		path = cache_path(c, ami, true);
		line = soca_xasprintf("%s\n", dev);
		soca_write_atomic(path, line, strlen(line), 0660);
		free(line);
		free(path);
	} else if (r != NULL) {
		*why = soca_xasprintf("instance_ami %s: DescribeImages gives no "
		    "root device for it; give another AMI", ami);
	} else {
		s = e.message ? soca_xstrdup(e.message) : soca_aws_err_str(&e);
		*temp = e.kind != SOCA_AWS_E_SERVICE || e.status >= 500 ||
		    e.status == 429 || soca_aws_retryable(&e);
		*why = soca_xasprintf("%sinstance_ami %s: DescribeImages: "
		    "%s%s%s", *temp ? "aws: " : "", ami, e.code ? e.code : "",
		    e.code ? ": " : "", s);
		free(s);
	}
	json_decref(r);
	soca_aws_err_free(&e);
	if (a)
		soca_aws_free(a);
	return out;
}
