/*
 * cmd_account_key - "sesctl account key new|list|revoke": the keys of the
 * HTTP API (TC3-HMAC-SHA256, see policy/api/tc3.h).
 *
 * A key is a SecretId ("AKID" and 32 letters and digits) and a SecretKey
 * (40 letters and digits), kept as "ApiKey ID SECRET" in the account's
 * file.  HMAC verification needs the secret itself, so the file holds it
 * as it holds CallbackSecret: the account files are mode 0640, readable by
 * root and the daemon's group only.  "key new" shows the secret once;
 * "key list" shows the ids only.
 *
 * Diagnostics: "account NAME has no API key ID", the edit's own.
 */
#include "autoconf.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sesctl.h"
#include "xalloc.h"

#define CMD_KEY_ID_CHARS 32
#define CMD_KEY_SECRET_CHARS 40

static const char cmd_key_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Appends n random characters of the alphabet (unbiased: 248 = 4 * 62). */
static int cmd_key_random(struct strbuf *out, size_t n)
{
	unsigned char b;

	while (n > 0) {
		if (RAND_bytes(&b, 1) != 1) {
			sesctl_err("cannot read random bytes");
			return SESCTL_FAIL;
		}
		if (b >= 248)
			continue;
		strbuf_appendc(out, cmd_key_alphabet[b % 62]);
		n--;
	}
	return SESCTL_OK;
}

/* sesctl account key new NAME */
static int cmd_key_new(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf id = STRBUF_INIT, secret = STRBUF_INIT, line = STRBUF_INIT;
	struct strbuf done = STRBUF_INIT;
	struct sesctl_args args;
	struct sesctl_edit ed;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	strbuf_appends(&id, "AKID");
	rc = cmd_key_random(&id, CMD_KEY_ID_CHARS);
	if (rc == SESCTL_OK)
		rc = cmd_key_random(&secret, CMD_KEY_SECRET_CHARS);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, args.operands[0], true);
	if (rc == SESCTL_OK) {
		strbuf_appendf(&line, "%s %s", strbuf_cstr(&id), strbuf_cstr(&secret));
		datafile_add(&ed.df, "ApiKey", strbuf_cstr(&line));
		strbuf_appendf(&done, "account %s: API key %s added", ed.name, strbuf_cstr(&id));
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	}
	if (rc == SESCTL_OK)
		printf("SecretId:  %s\nSecretKey: %s\n(the SecretKey is not shown again)\n",
		       strbuf_cstr(&id), strbuf_cstr(&secret));
	sesctl_edit_end(&ed);
	strbuf_free(&line);
	strbuf_free(&done);
	strbuf_free(&id);
	strbuf_free(&secret);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl account key list NAME */
static int cmd_key_list(struct sesctl *ctx, int argc, char **argv)
{
	const struct account *a;
	struct account_db *db;
	struct sesctl_args args;
	size_t i;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	db = sesctl_load_db(ctx);
	a = db != NULL ? account_by_name(db, args.operands[0]) : NULL;
	if (db != NULL && a == NULL)
		sesctl_err("no account %s", args.operands[0]);
	if (a != NULL)
		for (i = 0; i < a->napikeys; i++)
			printf("%s\n", a->apikeys[i].id);
	rc = a != NULL ? SESCTL_OK : SESCTL_FAIL;
	account_db_free(db);
	sesctl_args_free(&args);
	return rc;
}

/* datafile_same_fn: the line's first word is the key id. */
static bool cmd_key_same_id(const char *word, const char *want)
{
	size_t n = strcspn(word, " \t");

	return n == strlen(want) && strncmp(word, want, n) == 0;
}

/* sesctl account key revoke NAME ID */
static int cmd_key_revoke(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf done = STRBUF_INIT;
	struct sesctl_args args;
	struct sesctl_edit ed;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 2);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, args.operands[0], true);
	if (rc == SESCTL_OK &&
	    datafile_remove(&ed.df, "ApiKey", args.operands[1], cmd_key_same_id) == 0) {
		sesctl_err("account %s has no API key %s", ed.name, args.operands[1]);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "account %s: API key %s revoked", ed.name, args.operands[1]);
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	}
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

static const struct sesctl_sub cmd_key_subs[] = {
	{ "new", cmd_key_new, "account key new NAME" },
	{ "list", cmd_key_list, "account key list NAME" },
	{ "revoke", cmd_key_revoke, "account key revoke NAME SECRETID" },
	{ NULL, NULL, NULL },
};

/* sesctl account key SUBCOMMAND ... */
int sesctl_cmd_account_key(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_key_subs, argc, argv);
}
