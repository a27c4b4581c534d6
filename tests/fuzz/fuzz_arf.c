/*
 * fuzz_arf - libFuzzer target: a complaint report (RFC 5965 ARF, Microsoft
 * JMRP) as it arrives at the feedback address, through arf_parse.
 */
#include "autoconf.h"

#include "arf.h"
#include "fuzzutil.h"
#include "mime_count.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_count_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arf_report r;

	arf_parse((const char *)data, size, &r);
	(void)arf_type_is_complaint(r.type);
	arf_report_free(&r);
	return 0;
}
