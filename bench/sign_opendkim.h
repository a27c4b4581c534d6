/*
 * sign_opendkim - the former libopendkim signer, for bench/signbench only;
 * see sign_opendkim.c.
 */
#ifndef SES_SIGN_OPENDKIM_H
#define SES_SIGN_OPENDKIM_H

#include <stddef.h>

#include "dkim_sign.h"
#include "strbuf.h"

int opendkim_sign_init(void);
/* As dkim_sign_message, with libopendkim. */
int opendkim_sign_message(const struct dkim_keyring *ring, const char *domain,
			  const struct dkim_header *headers, size_t nheaders, const char *body,
			  size_t body_len, struct strbuf **sigs, size_t *nsigs, struct strbuf *err);

#endif
