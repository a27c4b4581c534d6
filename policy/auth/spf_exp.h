/*
 * spf_exp - the explanation of an SPF fail (RFC 7208 6.2) with its macros
 * expanded as section 7 says.
 *
 * libspf2 1.2.10 garbles an explanation with a blank in it (blanks come
 * back as '%', later macros stay unexpanded) and cannot tell "%%" from a
 * blank afterwards.  The DNS layer keeps the explanation text it fetched
 * for libspf2 and this module expands it again, from the text.
 *
 * Diagnostics: spf_exp_expand returns false when the text is not one an
 * explanation may be (bad macro, a byte outside printable ASCII); the
 * caller then gives its default explanation.
 */
#ifndef SES_SPF_EXP_H
#define SES_SPF_EXP_H

#include <stdbool.h>

#include "strbuf.h"

/* What the macros of an explanation stand for. */
struct spf_exp_env {
	const char *sender; /* local@domain */
	const char *domain; /* %{d}: the domain whose record gave the fail */
	const char *ip;	    /* client address in presentation form */
	bool ipv6;
	const char *helo;
};

/* Appends text expanded to out; false (out unchanged) if it does not parse. */
bool spf_exp_expand(const char *text, const struct spf_exp_env *env, struct strbuf *out);

#endif
