/*
 * soca-api: the web door's CGI (soca-api(8)); all of it is in lib/web.
 */
#include "config.h"

#include "web.h"

int
main(int argc, char **argv)
{
	return soca_web_main(argc, argv);
}
