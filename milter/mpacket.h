/*
 * mpacket - checks on milter protocol packets before libmilter decodes them.
 *
 * Plain functions over a packet's bytes (no libmilter, no I/O), so that the
 * unit tests and fuzz targets can call them directly; connguard.c applies
 * them to every packet libmilter reads.
 */
#ifndef SES_MPACKET_H
#define SES_MPACKET_H

#include <stddef.h>

/*
 * Makes the data of an SMFIC_MACRO packet (stage letter, then NUL-ended
 * name and value strings) safe for libmilter's smfi_getsymval(): it returns
 * the length to keep, which drops a trailing name without a value (an odd
 * string count) and any bytes after the last NUL.  len itself when the
 * packet is already well formed; 1 (the stage letter only) when no
 * complete pair is left; 0 for empty data.
 */
size_t mpacket_macro_safe_len(const char *data, size_t len);

#endif
