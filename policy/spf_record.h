/*
 * spf_record - the syntax of an SPF record as RFC 7208 sections 4.6.1,
 * 5, 6 and 7.1 give it, checked before libspf2 sees the record.
 *
 * libspf2 1.2.10 accepts records the RFC makes a permerror (an empty
 * domain after "a:", a CIDR length with a leading zero, "%" not starting
 * a macro, two redirect= modifiers, a domain without a top label...) and
 * evaluates them as if the bad term were not there.  spf_dns.c checks
 * every SPF record it hands to libspf2 with this module and makes the
 * check's result a permerror when one does not parse.
 *
 * Diagnostics: spf_record_check returns NULL or a constant reason.
 */
#ifndef SES_SPF_RECORD_H
#define SES_SPF_RECORD_H

#include <stdbool.h>

/* True if txt is an SPF record: "v=spf1" (any case) then a blank or the end. */
bool spf_record_is_spf(const char *txt);

/* NULL if the SPF record txt is well formed, else why not. */
const char *spf_record_check(const char *txt);

#endif
