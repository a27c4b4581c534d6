/*
 * rules - the table of outbound rules, in the order SPEC section 3 gives.
 */
#include "autoconf.h"

#include "rule.h"

const struct rule *const rule_table[] = {
	&rule_sender_domain,	/* MAIL */
	&rule_suspended,	/* MAIL */
	&rule_rcpt_count,	/* RCPT */
	&rule_blocklist,	/* RCPT */
	&rule_unsubscribed,	/* RCPT */
	&rule_suppressed,	/* RCPT */
	&rule_frequency,	/* RCPT, reserves */
	&rule_rate,		/* RCPT, reserves */
	&rule_quota,		/* RCPT, reserves; may ask for hold */
	&rule_subject,		/* HEADER, EOH */
	&rule_size,		/* HEADER, EOH, BODY */
	&rule_mime,		/* EOM: MIME structure within bounds */
	&rule_attachments,	/* EOM */
	&rule_template,		/* EOM: template-only content, renders */
};

const size_t rule_table_len = sizeof rule_table / sizeof rule_table[0];
