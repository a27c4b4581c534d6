/*
 * fuzz_dsn - libFuzzer target: a bounce message (RFC 3464 DSN or a plain
 * one) as it arrives at the feedback address, through dsn_parse and the
 * report.c part finder and field parser it uses.
 */
#include "autoconf.h"

#include "dsn.h"
#include "fuzzutil.h"
#include "mime_count.h"
#include "report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_count_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsn_report r;
	struct report_fields f;
	size_t i;

	dsn_parse((const char *)data, size, &r);
	for (i = 0; i < r.n_rcpts; i++)
		(void)dsn_class_name(dsn_classify(&r.rcpts[i]));
	dsn_report_free(&r);
	report_fields_parse((const char *)data, size, 8, &f);
	for (i = 0; i < f.n; i++)
		(void)report_group_get(&f.groups[i], "Status");
	report_fields_free(&f);
	return 0;
}
