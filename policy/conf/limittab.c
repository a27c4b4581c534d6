/*
 * limittab - the limits table on its own; see limittab.h.
 *
 * Diagnostics: none; the parsers that expand LIMITTAB_ROWS report.
 */
#include "autoconf.h"

#include <stddef.h>

#include "limittab.h"

const struct conf_key limittab_keys[LIMITTAB_N + 1] = {
	LIMITTAB_ROWS(LIMITTAB_SELF),
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};
