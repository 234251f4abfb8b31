/*
 * replay.c: main() for a libFuzzer target built without libFuzzer, so
 * the saved corpora (fuzz/seeds, fuzz/corpus-out) run through the
 * sanitizer build with gcc.  Each argument is a file, fed whole to
 * LLVMFuzzerTestOneInput; a file that cannot be read is reported and
 * counted.  Exit 0 when every file was replayed, 1 otherwise (a
 * sanitizer report aborts the process on its own).
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		warn("%s", path);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				err(3, "realloc");
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		warn("%s", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* an exact-size copy, so ASan sees reads past the input's end */
	uint8_t *in = malloc(len ? len : 1);

	if (in == NULL)
		err(3, "malloc");
	for (size_t i = 0; i < len; i++)
		in[i] = buf[i];
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	return 0;
}

int
main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		if (replay(argv[i]) < 0)
			bad++;
	return bad ? 1 : 0;
}
