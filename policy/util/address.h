/*
 * address - splitting SMTP envelope addresses (RFC 5321 Path).
 *
 * Accepts what MTAs hand a milter: "<user@example.com>", bare
 * "user@example.com", quoted local parts ("\"a@b\"@example.com"), source
 * routes ("<@relay:user@example.com>") and the null path "<>".  Any byte
 * may appear; callers never assume a safe alphabet.
 */
#ifndef SES_ADDRESS_H
#define SES_ADDRESS_H

#include "strbuf.h"

enum address_status {
	ADDRESS_OK = 0,
	ADDRESS_NULL,		/* "<>": the null reverse-path */
	ADDRESS_NO_DOMAIN,	/* no '@' outside quotes */
	ADDRESS_BAD,		/* unbalanced brackets or quotes, empty parts */
};

/*
 * Splits addr into local part (as written, quotes kept) and domain
 * (lower-cased, trailing dot removed).  Appends to local and domain.
 */
enum address_status address_split(const char *addr, struct strbuf *local,
				  struct strbuf *domain);

/*
 * Appends addr in the form used for shared-state keys: angle brackets and
 * surrounding blanks removed, ASCII letters lower-cased, other bytes kept.
 */
void address_normalize(const char *addr, struct strbuf *out);

#endif
