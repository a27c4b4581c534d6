/*
 * account - operator data: accounts, their sender domains, logins and
 * trusted networks, loaded from DataDir/accounts/ (one file per account).
 *
 * File format (the file name is the account name):
 *
 *     # comments and blank lines are ignored
 *     Login          acme-smtp          (repeatable: SMTP AUTH user names)
 *     Network        192.0.2.0/24       (repeatable: trusted client networks)
 *     Domain         example.com verified   (repeatable, at most 10)
 *     CustomContent  no
 *     Suspended      no
 *     ReputationLevel 1
 *     MaxRecipients  50                 (any message limit of ses-milter.conf)
 *     CallbackUrl    https://hooks.example.com/ses   (events, see events.h)
 *     CallbackSecret s3cret                         (signs them; not shown by sesctl)
 *     SenderCallbackUrl news@example.com https://...  (repeatable: per sender)
 *     Tracking       off                (open, click, open,click: template mail)
 *     ApiKey         AKID... SECRET     (repeatable: API keys, see sesctl
 *                                        account key; the secret itself, as
 *                                        TC3-HMAC-SHA256 needs it to verify)
 *
 * An account_db is immutable once loaded and shared by all threads through
 * a snapshot.
 */
#ifndef SES_ACCOUNT_H
#define SES_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "diag.h"
#include "netmask.h"

#define ACCOUNT_MAX_DOMAINS 10
#define ACCOUNT_TRACK_OPEN 1	/* Tracking open */
#define ACCOUNT_TRACK_CLICK 2	/* Tracking click */

struct account_domain {
	char *name;		/* lower case */
	bool verified;
	unsigned line;		/* where the file lists it, for diagnostics */
};

/* SenderCallbackUrl: events of mail from sender also go to url. */
struct account_callback {
	char *sender;		/* an address, compared case-insensitively */
	char *url;
};

/* ApiKey ID SECRET: a key of the HTTP API (TC3-HMAC-SHA256). */
struct account_apikey {
	char *id;
	char *secret;
};

struct account {
	char *name;
	char **logins;
	unsigned *login_lines;	/* where the file lists each login */
	size_t nlogins;
	struct netmask *networks;
	size_t nnetworks;
	struct account_domain *domains;
	size_t ndomains;
	bool custom_content;
	bool suspended;
	long long level;
	char *level_date;		/* UTC day warm-up last set level, or "" */
	struct policy_limits limits;	/* effective: config defaults + overrides */
	char *callback_url;		/* CallbackUrl; "" : none */
	char *callback_secret;		/* CallbackSecret; "" : CallbackSecretFile's */
	struct account_callback *sender_callbacks;	/* SenderCallbackUrl lines */
	size_t nsender_callbacks;
	int tracking;			/* ACCOUNT_TRACK_* mask; Tracking */
	struct account_apikey *apikeys;	/* ApiKey lines */
	size_t napikeys;
};

struct account_db {
	struct account **accounts;	/* sorted by name */
	size_t n;
};

extern const struct conf_key account_keys[];

/*
 * Loads the account file at path as account name, with defaults from conf.
 * Returns the account, or NULL when any error was found (each added to
 * diags, naming path).  Caller frees with account_free.
 */
struct account *account_load(const char *path, const char *name,
			     const struct ses_config *conf, struct diag_list *diags);
/* Frees one account; NULL is allowed. */
void account_free(struct account *acct);

/*
 * Loads every account file in dir with defaults from conf.  Returns the db,
 * or NULL when any error was found (each added to diags).  A missing
 * directory is an empty db.  Caller frees.
 */
struct account_db *account_db_load(const char *dir, const struct ses_config *conf,
				   struct diag_list *diags);

/*
 * One pending change to an account directory, for checking it before it is
 * made: account name's file is replaced by the file at path (which may be a
 * new account), or removed when path is NULL.
 */
struct account_change {
	const char *name;
	const char *path;
};

/*
 * As account_db_load, but as dir would be with change applied.  Diagnostics
 * about the changed account name its final file dir/NAME.
 */
struct account_db *account_db_load_change(const char *dir,
					  const struct account_change *change,
					  const struct ses_config *conf,
					  struct diag_list *diags);
void account_db_free(struct account_db *db);

const struct account *account_by_name(const struct account_db *db, const char *name);
const struct account *account_by_login(const struct account_db *db, const char *login);
/* The account holding the API key id (its key in *key), or NULL. */
const struct account *account_by_api_key(const struct account_db *db, const char *id,
					 const struct account_apikey **key);
/* True for an API key id or secret sesctl can write: [A-Za-z0-9]{16,128}. */
bool account_api_word_valid(const char *word);
/* The account whose most specific trusted network contains sa, or NULL. */
const struct account *account_by_addr(const struct account_db *db,
				      const struct sockaddr *sa);
/* The account that owns domain (case-insensitive), or NULL. */
const struct account *account_by_domain(const struct account_db *db,
					const char *domain,
					const struct account_domain **dom);
const struct account_domain *account_domain(const struct account *acct,
					    const char *domain);

/* True for a syntactically valid domain name (LDH labels, at most 253). */
bool account_domain_name_valid(const char *name);
/*
 * True for a valid account name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, not
 * ending in ".tmp" (the name of a staged edit, which the loader skips).
 */
bool account_name_valid(const char *name);

#endif
