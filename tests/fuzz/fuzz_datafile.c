/*
 * fuzz_datafile - libFuzzer target: a "Key value" data file (the files
 * sesctl edits in place: accounts, templates, lists) through datafile_read
 * and the in-memory edits that keep every other line as written.
 *
 * Input: KEY NUL WANT NUL FILE.
 */
#include "autoconf.h"

#include <string.h>

#include "datafile.h"
#include "fuzzutil.h"
#include "strbuf.h"

static void fuzz_datafile_edit(struct datafile *df, const char *key, const char *want)
{
	long i;

	i = datafile_find(df, 0, key, want, datafile_same_icase);
	if (i >= 0) {
		datafile_replace(df, (size_t)i, want);
		(void)datafile_find(df, (size_t)i, key, NULL, NULL);
	}
	datafile_set(df, key, want);
	datafile_add(df, key, "added");
	(void)datafile_remove(df, key, want, datafile_same_icase);
	(void)datafile_remove(df, key, NULL, NULL);
	if (df->n > 0)
		datafile_delete(df, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3];
	struct datafile df;
	struct strbuf err = STRBUF_INIT;
	const char *path;
	size_t off;

	fuzz_fields(data, size, f, 3);
	if (f[1] != NULL && f[2] != NULL && f[0][0] != '\0') {
		off = strlen(f[0]) + 1 + strlen(f[1]) + 1;
		path = fuzz_write_file("data", data + off, size - off);
		if (path != NULL && datafile_read(&df, path, false, &err) == 0)
			fuzz_datafile_edit(&df, f[0], f[1]);
		if (path != NULL)
			datafile_free(&df);
	}
	strbuf_free(&err);
	fuzz_fields_free(f, 3);
	return 0;
}
