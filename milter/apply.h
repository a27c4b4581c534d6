/*
 * apply - makes the changes of an end-of-message plan through a small
 * table of operations; see apply.c.
 */
#ifndef SES_APPLY_H
#define SES_APPLY_H

#include <stddef.h>

#include "engine.h"

/*
 * The changes an MTA can make to a message at end of message.  Each
 * returns 0, or -1 when the MTA refused the change.  ctx is the caller's
 * (the libmilter context in the daemon).
 */
struct apply_ops {
	int (*del_rcpt)(void *ctx, const char *addr);
	int (*add_rcpt_par)(void *ctx, const char *addr, const char *esmtp_args);
	int (*chg_from)(void *ctx, const char *addr);	/* addr with its <> */
	int (*ins_header)(void *ctx, const char *name, const char *value);	/* first */
	int (*add_header)(void *ctx, const char *name, const char *value);	/* last */
	/* the index-th (1-based) header named name gets value; NULL deletes it */
	int (*chg_header)(void *ctx, const char *name, unsigned index, const char *value);
	int (*replace_body)(void *ctx, const char *body, size_t len);
	int (*quarantine)(void *ctx, const char *reason);
};

/* The operations of libmilter (apply_smfi.c). */
extern const struct apply_ops apply_smfi_ops;
/* The same, sending the blank after the colon (SMFIP_HDR_LEADSPC). */
extern const struct apply_ops apply_smfi_leadspc_ops;

/*
 * Makes the changes of p in order through ops, stopping at the first one
 * refused; that one is logged for m.  Returns 0, or -1.
 */
int apply_plan(const struct apply_ops *ops, void *ctx, const struct policy_plan *p,
	       const struct policy_msg *m);

#endif
