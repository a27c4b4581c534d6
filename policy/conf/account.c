/*
 * account - loading and looking up operator account data; see account.h.
 *
 * Diagnostics: "FILE:LINE: Domain example.com already belongs to account
 * other", "FILE:LINE: bad network 10.0.0.0/33", "FILE:LINE: unknown key X",
 * "FILE:LINE: more than 10 sender domains", "FILE:LINE: CallbackUrl \"X\" is
 * not an http:// or https:// URL", "FILE:LINE: SenderCallbackUrl needs a
 * sender address and a URL", "FILE: cannot open: REASON".
 * When a pending change is checked (account_db_load_change), diagnostics
 * about the changed account name the file it will replace.
 */
#include "autoconf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "account.h"
#include "events.h"
#include "strbuf.h"
#include "xalloc.h"

#define AOFF(field) offsetof(struct account, field)
#define ALIM(field) (offsetof(struct account, limits) + offsetof(struct policy_limits, field))

/* Tracking values: the index is a mask of ACCOUNT_TRACK_OPEN and _CLICK. */
static const char *const account_tracking_choices[] = { "off", "open", "click", "open,click", NULL };

/* Scalar keys; Login, Network and Domain are repeatable and parsed apart. */
const struct conf_key account_keys[] = {
	{ "CustomContent", CONF_BOOL, "no", 0, 0, NULL, AOFF(custom_content),
	  "May send its own content instead of templates." },
	{ "Suspended", CONF_BOOL, "no", 0, 0, NULL, AOFF(suspended),
	  "Sending stopped (550 5.7.1 FailedOperation.HighRejectionRate)." },
	{ "ReputationLevel", CONF_INT, "1", 1, 20, NULL, AOFF(level),
	  "Reputation level 1..20; sets the daily quota." },
	{ "LevelDate", CONF_STRING, "", 0, 0, NULL, AOFF(level_date),
	  "UTC day (YYYY-MM-DD) the daily warm-up last changed ReputationLevel; written by sesctl quota warmup." },
	LIMITTAB_ROWS(ALIM),
	{ "CallbackUrl", CONF_STRING, "", 0, 0, NULL, AOFF(callback_url),
	  "http:// or https:// URL that every event of the account is POSTed to (signed with CallbackSecret); empty: none." },
	{ "Tracking", CONF_ENUM, "off", 0, 0, account_tracking_choices, AOFF(tracking),
	  "Open and click tracking of the account's template mail: off, open, click or open,click (needs TrackingUrl)." },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};

static void *account_grow(void *array, size_t n, size_t size)
{
	return xrealloc(array, (n + 1) * size);
}

bool account_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 64 || !isalnum((unsigned char)name[0]))
		return false;
	if (len > 4 && strcmp(name + len - 4, ".tmp") == 0)
		return false;	/* the loader skips *.tmp: staged edits */
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '_' &&
		    name[i] != '-')
			return false;
	return true;
}

bool account_domain_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0, i;

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.' ||
	    strchr(name, '.') == NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return name[len - 1] != '-';
}

void account_free(struct account *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nlogins; i++)
		free(a->logins[i]);
	free(a->logins);
	free(a->login_lines);
	free(a->networks);
	for (i = 0; i < a->ndomains; i++)
		free(a->domains[i].name);
	free(a->domains);
	free(a->level_date);
	free(a->callback_url);
	free(a->callback_secret);
	for (i = 0; i < a->nsender_callbacks; i++) {
		free(a->sender_callbacks[i].sender);
		free(a->sender_callbacks[i].url);
	}
	free(a->sender_callbacks);
	for (i = 0; i < a->napikeys; i++) {
		free(a->apikeys[i].id);
		free(a->apikeys[i].secret);
	}
	free(a->apikeys);
	free(a->name);
	free(a);
}

void account_db_free(struct account_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		account_free(db->accounts[i]);
	free(db->accounts);
	free(db);
}

static void account_add_domain(struct account *a, const char *value, const char *path,
			       unsigned lineno, struct diag_list *diags)
{
	char name[256], state[32] = "";
	size_t i;
	int n;

	n = sscanf(value, "%255s %31s", name, state);
	if (n < 1) {
		diag_add(diags, path, lineno, "Domain needs a domain name");
		return;
	}
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (!account_domain_name_valid(name)) {
		diag_add(diags, path, lineno, "\"%s\" is not a valid domain name", name);
		return;
	}
	if (n == 2 && strcasecmp(state, "verified") != 0 && strcasecmp(state, "unverified") != 0) {
		diag_add(diags, path, lineno, "Domain %s: state must be verified or unverified, not \"%s\"",
			 name, state);
		return;
	}
	if (account_domain(a, name) != NULL) {
		diag_add(diags, path, lineno, "Domain %s listed twice", name);
		return;
	}
	if (a->ndomains >= ACCOUNT_MAX_DOMAINS) {
		diag_add(diags, path, lineno, "more than %d sender domains", ACCOUNT_MAX_DOMAINS);
		return;
	}
	a->domains = account_grow(a->domains, a->ndomains, sizeof *a->domains);
	a->domains[a->ndomains].name = xstrdup(name);
	a->domains[a->ndomains].verified = n == 2 && strcasecmp(state, "verified") == 0;
	a->domains[a->ndomains].line = lineno;
	a->ndomains++;
}

/* SenderCallbackUrl ADDRESS URL */
static void account_add_sender_callback(struct account *a, const char *value, const char *path,
					unsigned lineno, struct diag_list *diags)
{
	char sender[321], url[2049];
	struct account_callback *cb;
	size_t i;

	if (sscanf(value, "%320s %2048s", sender, url) != 2 || strchr(sender, '@') == NULL) {
		diag_add(diags, path, lineno, "SenderCallbackUrl needs a sender address and a URL");
		return;
	}
	if (!events_url_valid(url)) {
		diag_add(diags, path, lineno, "SenderCallbackUrl %s: \"%s\" is not an http:// or https:// URL",
			 sender, url);
		return;
	}
	for (i = 0; i < a->nsender_callbacks; i++)
		if (strcasecmp(a->sender_callbacks[i].sender, sender) == 0) {
			diag_add(diags, path, lineno, "SenderCallbackUrl %s listed twice", sender);
			return;
		}
	a->sender_callbacks = account_grow(a->sender_callbacks, a->nsender_callbacks,
					   sizeof *a->sender_callbacks);
	cb = &a->sender_callbacks[a->nsender_callbacks++];
	cb->sender = xstrdup(sender);
	cb->url = xstrdup(url);
}

bool account_api_word_valid(const char *word)
{
	size_t n = strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

	return word[n] == '\0' && n >= 16 && n <= 128;
}

/* ApiKey ID SECRET */
static void account_add_apikey(struct account *a, const char *value, const char *path,
			       unsigned lineno, struct diag_list *diags)
{
	char id[130], secret[130], extra[2];
	size_t i;

	if (sscanf(value, "%129s %129s %1s", id, secret, extra) != 2 ||
	    !account_api_word_valid(id) || !account_api_word_valid(secret)) {
		diag_add(diags, path, lineno,
			 "ApiKey needs an id and a secret (16 to 128 letters and digits each)");
		return;
	}
	for (i = 0; i < a->napikeys; i++)
		if (strcmp(a->apikeys[i].id, id) == 0) {
			diag_add(diags, path, lineno, "ApiKey %s listed twice", id);
			return;
		}
	a->apikeys = account_grow(a->apikeys, a->napikeys, sizeof *a->apikeys);
	a->apikeys[a->napikeys].id = xstrdup(id);
	a->apikeys[a->napikeys++].secret = xstrdup(secret);
}

/* The keys about callbacks that the table does not cover; false if not one. */
static bool account_parse_callback(struct account *a, const char *key, const char *value,
				   const char *path, unsigned lineno, struct diag_list *diags)
{
	if (strcasecmp(key, "SenderCallbackUrl") == 0) {
		account_add_sender_callback(a, value, path, lineno, diags);
	} else if (strcasecmp(key, "CallbackSecret") == 0) {
		if (*value == '\0' || strpbrk(value, " \t") != NULL) {
			diag_add(diags, path, lineno, "CallbackSecret needs one word");
			return true;
		}
		free(a->callback_secret);
		a->callback_secret = xstrdup(value);
	} else {
		return false;
	}
	return true;
}

static void account_parse_line(struct account *a, char *key, char *value, const char *path,
			       unsigned lineno, struct diag_list *diags)
{
	const struct conf_key *k;
	char err[256];

	if (strcasecmp(key, "Login") == 0) {
		if (*value == '\0' || strpbrk(value, " \t") != NULL) {
			diag_add(diags, path, lineno, "Login needs one user name");
			return;
		}
		a->logins = account_grow(a->logins, a->nlogins, sizeof *a->logins);
		a->login_lines = account_grow(a->login_lines, a->nlogins, sizeof *a->login_lines);
		a->login_lines[a->nlogins] = lineno;
		a->logins[a->nlogins++] = xstrdup(value);
	} else if (strcasecmp(key, "Network") == 0) {
		struct netmask nm;

		if (netmask_parse(value, &nm) != 0) {
			diag_add(diags, path, lineno, "bad network \"%s\" (want ADDRESS or ADDRESS/PREFIX)",
				 value);
			return;
		}
		a->networks = account_grow(a->networks, a->nnetworks, sizeof *a->networks);
		a->networks[a->nnetworks++] = nm;
	} else if (strcasecmp(key, "Domain") == 0) {
		account_add_domain(a, value, path, lineno, diags);
	} else if (strcasecmp(key, "ApiKey") == 0) {
		account_add_apikey(a, value, path, lineno, diags);
	} else if (account_parse_callback(a, key, value, path, lineno, diags)) {
		return;
	} else if ((k = conftab_find(account_keys, key)) != NULL) {
		if (conftab_set(k, a, value, err, sizeof err) != 0)
			diag_add(diags, path, lineno, "%s", err);
		else if (k->offset == AOFF(callback_url) && *value != '\0' && !events_url_valid(value))
			diag_add(diags, path, lineno, "CallbackUrl \"%s\" is not an http:// or https:// URL",
				 value);
	} else {
		diag_add(diags, path, lineno, "unknown key %s", key);
	}
}

/* Reads path as account name; diagnostics name label.  Caller frees. */
static struct account *account_read(const char *path, const char *label,
				    const char *name, const struct ses_config *conf,
				    struct diag_list *diags)
{
	struct account *a;
	char *line = NULL, *key, *value;
	size_t cap = 0, before = diags->n;
	unsigned lineno = 0;
	struct stat st;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL) {
		diag_add(diags, label, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_add(diags, label, 0, "not a regular file");
		fclose(fp);
		return NULL;
	}
	a = xcalloc(1, sizeof *a);
	a->name = xstrdup(name);
	a->level = 1;
	a->level_date = xstrdup("");
	a->callback_url = xstrdup("");
	a->callback_secret = xstrdup("");
	a->limits = conf->limits;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (conftab_split(line, &key, &value))
			account_parse_line(a, key, value, label, lineno, diags);
	}
	if (ferror(fp))
		diag_add(diags, label, 0, "cannot read: %s", strerror(errno));
	free(line);
	fclose(fp);
	config_check_limits(&a->limits, label, 0, diags);
	if (diags->n > before) {
		account_free(a);
		return NULL;
	}
	return a;
}

struct account *account_load(const char *path, const char *name,
			     const struct ses_config *conf, struct diag_list *diags)
{
	if (!account_name_valid(name)) {
		diag_add(diags, path, 0, "\"%s\" is not a valid account name "
			 "(letters, digits, '.', '_', '-')", name);
		return NULL;
	}
	return account_read(path, path, name, conf, diags);
}

/* Loads dir/name, or change->path when the change is about name. */
static void account_db_add(struct account_db *db, const char *dir, const char *name,
			   const struct account_change *change,
			   const struct ses_config *conf, struct diag_list *diags)
{
	struct strbuf label = STRBUF_INIT;
	struct account *a;

	strbuf_appendf(&label, "%s/%s", dir, name);
	if (change == NULL || strcmp(change->name, name) != 0)
		a = account_load(strbuf_cstr(&label), name, conf, diags);
	else if (account_name_valid(name))
		a = account_read(change->path, strbuf_cstr(&label), name, conf, diags);
	else
		a = account_load(change->path, name, conf, diags);	/* reports the name */
	strbuf_free(&label);
	if (a == NULL)
		return;
	db->accounts = account_grow(db->accounts, db->n, sizeof *db->accounts);
	db->accounts[db->n++] = a;
}

static int account_cmp(const void *x, const void *y)
{
	const struct account *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/* Cross-account checks: a login or a domain belongs to one account only. */
static void account_db_check(const struct account_db *db, const char *dir,
			     struct diag_list *diags)
{
	struct strbuf file = STRBUF_INIT;
	const struct account_domain *dup;
	size_t i, j, k, l;

	for (i = 0; i < db->n; i++)
		for (j = i + 1; j < db->n; j++) {
			const struct account *a = db->accounts[i], *b = db->accounts[j];

			/* reported where the second account lists it */
			strbuf_reset(&file);
			strbuf_appendf(&file, "%s/%s", dir, b->name);
			for (k = 0; k < a->nlogins; k++)
				for (l = 0; l < b->nlogins; l++)
					if (strcmp(a->logins[k], b->logins[l]) == 0)
						diag_add(diags, strbuf_cstr(&file), b->login_lines[l],
							 "Login %s already belongs to account %s",
							 a->logins[k], a->name);
			for (k = 0; k < a->ndomains; k++)
				if ((dup = account_domain(b, a->domains[k].name)) != NULL)
					diag_add(diags, strbuf_cstr(&file), dup->line,
						 "Domain %s already belongs to account %s",
						 a->domains[k].name, a->name);
		}
	strbuf_free(&file);
}

/*
 * Skips editor backups, hidden files, sesctl's temporary files and
 * anything that is not a file (a subdirectory such as accounts/archive).
 * An entry stat cannot examine is kept, so loading it reports why.
 */
static bool account_file_wanted(const char *dir, const char *name)
{
	struct strbuf path = STRBUF_INIT;
	size_t len = strlen(name);
	struct stat st;
	bool other;

	if (name[0] == '.' || len == 0 || name[len - 1] == '~')
		return false;
	if (len > 4 && strcmp(name + len - 4, ".tmp") == 0)
		return false;
	strbuf_appendf(&path, "%s/%s", dir, name);
	other = stat(strbuf_cstr(&path), &st) == 0 && !S_ISREG(st.st_mode);
	strbuf_free(&path);
	return !other;
}

struct account_db *account_db_load(const char *dir, const struct ses_config *conf,
				   struct diag_list *diags)
{
	return account_db_load_change(dir, NULL, conf, diags);
}

struct account_db *account_db_load_change(const char *dir,
					  const struct account_change *change,
					  const struct ses_config *conf,
					  struct diag_list *diags)
{
	struct account_db *db;
	size_t before = diags->n;
	struct dirent *de;
	DIR *d;

	db = xcalloc(1, sizeof *db);
	d = opendir(dir);
	if (d == NULL && errno != ENOENT) {
		diag_add(diags, dir, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (!account_file_wanted(dir, de->d_name))
			continue;
		if (!account_name_valid(de->d_name)) {
			diag_add(diags, dir, 0, "\"%s\" is not a valid account name "
				 "(letters, digits, '.', '_', '-')", de->d_name);
			continue;
		}
		/* the changed account is added after the scan: it may be new */
		if (change == NULL || strcmp(change->name, de->d_name) != 0)
			account_db_add(db, dir, de->d_name, NULL, conf, diags);
	}
	if (d != NULL)
		closedir(d);
	if (change != NULL && change->path != NULL)
		account_db_add(db, dir, change->name, change, conf, diags);
	if (db->n > 1)
		qsort(db->accounts, db->n, sizeof *db->accounts, account_cmp);
	account_db_check(db, dir, diags);
out:
	if (diags->n > before) {
		account_db_free(db);
		return NULL;
	}
	return db;
}

const struct account *account_by_name(const struct account_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (strcmp(db->accounts[i]->name, name) == 0)
			return db->accounts[i];
	return NULL;
}

const struct account *account_by_login(const struct account_db *db, const char *login)
{
	size_t i, j;

	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->accounts[i]->nlogins; j++)
			if (strcmp(db->accounts[i]->logins[j], login) == 0)
				return db->accounts[i];
	return NULL;
}

const struct account *account_by_api_key(const struct account_db *db, const char *id,
					 const struct account_apikey **key)
{
	size_t i, j;

	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->accounts[i]->napikeys; j++)
			if (strcmp(db->accounts[i]->apikeys[j].id, id) == 0) {
				*key = &db->accounts[i]->apikeys[j];
				return db->accounts[i];
			}
	return NULL;
}

const struct account *account_by_addr(const struct account_db *db,
				      const struct sockaddr *sa)
{
	const struct account *best = NULL;
	int best_prefix = -1;
	size_t i, j;

	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->accounts[i]->nnetworks; j++) {
			const struct netmask *nm = &db->accounts[i]->networks[j];
			/* compare IPv4 prefixes on the IPv6 scale */
			int prefix = nm->family == AF_INET ? nm->prefix + 96 : nm->prefix;

			if (prefix > best_prefix && netmask_match(nm, sa)) {
				best = db->accounts[i];
				best_prefix = prefix;
			}
		}
	return best;
}

const struct account_domain *account_domain(const struct account *acct,
					    const char *domain)
{
	size_t i;

	for (i = 0; i < acct->ndomains; i++)
		if (strcasecmp(acct->domains[i].name, domain) == 0)
			return &acct->domains[i];
	return NULL;
}

const struct account *account_by_domain(const struct account_db *db,
					const char *domain,
					const struct account_domain **dom)
{
	size_t i;

	for (i = 0; i < db->n; i++) {
		const struct account_domain *d = account_domain(db->accounts[i], domain);

		if (d != NULL) {
			if (dom != NULL)
				*dom = d;
			return db->accounts[i];
		}
	}
	return NULL;
}
