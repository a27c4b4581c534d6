/*
 * rules - the table of outbound rules, in the order SPEC section 3 gives.
 */
#include "autoconf.h"

#include "rule.h"

const struct rule *const rule_table[] = {
	&rule_sender_domain,	/* MAIL */
	&rule_suspended,	/* MAIL */
	&rule_rcpt_count,	/* RCPT */
	&rule_subject,		/* HEADER, EOH */
	&rule_size,		/* HEADER, EOH, BODY */
	&rule_attachments,	/* EOM */
};

const size_t rule_table_len = sizeof rule_table / sizeof rule_table[0];
