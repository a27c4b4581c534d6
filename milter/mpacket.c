/*
 * mpacket - checks on milter protocol packets; see mpacket.h.
 *
 * Why: libmilter (8.17, engine.c) splits a macro packet into an array of
 * string pointers with one pointer per NUL and a NULL after the last, and
 * smfi_getsymval() walks that array two entries at a time (name, value)
 * until it meets the NULL.  With an odd number of strings the walk steps
 * over the NULL and reads past the array: a crash the MTA, or anyone who
 * can reach the milter socket, can trigger with one packet.  Cutting the
 * packet to whole pairs before libmilter sees it keeps the NULL on an even
 * index, where the walk stops.
 *
 * Diagnostics: none (the caller logs).
 */
#include "autoconf.h"

#include <string.h>

#include "mpacket.h"

size_t mpacket_macro_safe_len(const char *data, size_t len)
{
	size_t i, strings = 0, pair_end = 1;

	if (len == 0)
		return 0;
	/* data[0] is the stage letter; strings start at data[1] */
	for (i = 1; i < len; i++) {
		if (data[i] != '\0')
			continue;
		strings++;
		if (strings % 2 == 0)
			pair_end = i + 1;
	}
	return pair_end;
}
