/*
 * limittab - the message and sending limits, defined once.
 *
 * ses-milter.conf sets each limit for every account and an account file
 * may override it for one account.  Both files parse the same rows: name,
 * type, built-in default, bounds, the field of struct policy_limits and
 * the one-line doc the man page shows.  LIMITTAB_ROWS expands them into
 * config_keys (config.c) and account_keys (account.c), each with the
 * offset of its own struct policy_limits, so a limit is added, bounded or
 * documented in this one place; limittab_keys holds the same rows with
 * offsets into struct policy_limits alone.
 */
#ifndef SES_LIMITTAB_H
#define SES_LIMITTAB_H

#include <stddef.h>

#include "conftab.h"

/* Message limits; the config holds the defaults, an account may override. */
struct policy_limits {
	long long max_recipients;
	long long max_message_size;
	long long max_attachments;
	long long subject_min_chars;
	long long subject_max_chars;
	long long subject_warn_chars;
	long long recipient_hourly_limit;	/* sends to one recipient per 60 minutes */
	long long sends_per_second;
	long long daily_quota;			/* 0: by reputation level */
};

/*
 * The rows of struct conf_key for the limits; WHERE(field) is the offset
 * of policy_limits.field in the struct the table fills.
 */
#define LIMITTAB_ROWS(WHERE)                                                                    \
	{ "MaxRecipients", CONF_INT, "50", 1, 100000, NULL, WHERE(max_recipients),              \
	  "Recipients per message; the next RCPT gets 452 4.5.3." },                            \
	{ "MaxMessageSize", CONF_SIZE, "4M", 1024, 1073741824LL, NULL, WHERE(max_message_size), \
	  "Whole message size, headers and attachments included, in bytes (K, M, G suffixes)." }, \
	{ "MaxAttachments", CONF_INT, "10", 0, 10000, NULL, WHERE(max_attachments),             \
	  "Attachments per message." },                                                         \
	{ "SubjectMinChars", CONF_INT, "1", 0, 998, NULL, WHERE(subject_min_chars),             \
	  "Fewest characters in the decoded Subject; 1 makes a Subject mandatory." },           \
	{ "SubjectMaxChars", CONF_INT, "998", 1, 998, NULL, WHERE(subject_max_chars),           \
	  "Most characters in the decoded Subject (the API variant uses 100)." },               \
	{ "SubjectWarnChars", CONF_INT, "78", 1, 998, NULL, WHERE(subject_warn_chars),          \
	  "A Subject longer than this is accepted but logged as a warning." },                  \
	{ "RecipientHourlyLimit", CONF_INT, "10", 1, 1000, NULL, WHERE(recipient_hourly_limit), \
	  "Sends from one account to one recipient in any rolling 60 minutes; "                 \
	  "the next gets 450 4.7.1." },                                                         \
	{ "MaxSendsPerSecond", CONF_INT, "20", 1, 1000000, NULL, WHERE(sends_per_second),       \
	  "Recipients one account may be accepted for per second; the next gets 451 4.7.1 "     \
	  "(a sendmail(1) message borrows from the next seconds instead)." },                   \
	{ "DailyQuota", CONF_INT, "0", 0, 100000000, NULL, WHERE(daily_quota),                  \
	  "Recipients per account per day (UTC); 0 takes the quota of the account's "           \
	  "reputation level." }

/* Offsets into struct policy_limits itself, for limittab_keys. */
#define LIMITTAB_SELF(field) offsetof(struct policy_limits, field)

/* The limits alone, NULL-terminated (offsets into struct policy_limits). */
extern const struct conf_key limittab_keys[];

/* How many rows LIMITTAB_ROWS has. */
#define LIMITTAB_N 9

#endif
