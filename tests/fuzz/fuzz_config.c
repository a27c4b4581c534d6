/*
 * fuzz_config - libFuzzer target: a ses-milter.conf through config_load
 * (the key table of conftab.c: numbers, sizes, durations, modes, enums,
 * booleans) and config_dump.
 */
#include "autoconf.h"

#include "config.h"
#include "diag.h"
#include "fuzzutil.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = { NULL, 0 };
	struct strbuf out = STRBUF_INIT;
	struct ses_config *conf;
	const char *path = fuzz_write_file("conf", data, size);

	if (path == NULL)
		return 0;
	conf = config_load(path, &diags);
	if (conf != NULL) {
		config_dump(conf, &out);
		(void)config_log_priority(conf);
		(void)config_syslog_facility(conf);
		config_free(conf);
	}
	diag_free(&diags);
	strbuf_free(&out);
	return 0;
}
