/*
 * punycode - turning UTF-8 domain names into A-labels (RFC 3492, RFC 5891).
 *
 * Used for the Unicode rules of the Public Suffix List, which the list
 * writes as U-labels while mail carries A-labels.  Only the encoding step:
 * no Unicode normalisation or case mapping (the list is already lower-case
 * NFC), so this is not a general IDNA implementation.
 *
 * Diagnostics: none; a return value of -1 means invalid UTF-8 or a label
 * that does not fit 63 octets once encoded.
 */
#ifndef SES_PUNYCODE_H
#define SES_PUNYCODE_H

#include "strbuf.h"

/*
 * Appends name with every label that holds non-ASCII bytes encoded as
 * "xn--" plus Punycode; ASCII labels are copied unchanged.  Returns 0, or
 * -1 (out then holds a partial result the caller should discard).
 */
int punycode_domain_to_ascii(const char *name, struct strbuf *out);

#endif
