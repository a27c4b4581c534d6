/*
 * cmd_domain_keys - a sender domain's DKIM keys and the DNS records it
 * publishes (SPEC section 5), built by policy/signing/domain_check.c: DKIM TXT at
 * SELECTOR._domainkey.DOMAIN per key, SPF "v=spf1 include:ServiceSpfInclude
 * ~all", DMARC "v=DMARC1; p=none" at _dmarc.DOMAIN and an MX to ServiceMx;
 * printed here in zone-file form.
 *
 * Keys are made by dkim_key_generate (dkim_sign.h) into
 * DataDir/keys/DOMAIN/ (directories 0750, keys 0640, both handed to
 * UserID); an existing key file is never replaced.  The records are always
 * built from the key files as ses-milter loads them, so what is printed is
 * what it signs with.
 *
 * Diagnostics: "\"S\" is not a valid DKIM selector", "cannot make key
 * PATH: WHY", "warning: ServiceMx is not set in FILE: ...", "warning:
 * keys A and B of D share selector S", "cannot load the DKIM keys in
 * DIR", "cannot read the public key of NAME", plus the key loader's lines.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd_domain.h"
#include "dkim_sign.h"

#define CMD_DOMAIN_KEY_MODE 0640
#define CMD_DOMAIN_TXT_CHUNK 255 /* the most one TXT character-string holds */
#define CMD_DOMAIN_MX_PREF 10

bool cmd_domain_selector_valid(const char *s)
{
	size_t label = 0, total = 0;

	for (; *s != '\0'; s++, total++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || (*s == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[-1] != '-' && total <= 200;
}

/* DataDir/keys/DOMAIN (or DataDir/keys for a NULL domain).  Caller frees. */
static char *cmd_domain_keys_dir(const struct sesctl *ctx, const char *domain)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendf(&sb, "%s/keys", ctx->conf->data_dir);
	if (domain != NULL)
		strbuf_appendf(&sb, "/%s", domain);
	return strbuf_detach(&sb);
}

/* Makes one key file in dir unless it exists; SESCTL_OK or SESCTL_FAIL. */
static int cmd_domain_key_make(const struct sesctl *ctx, const char *dir, const char *selector,
			       enum dkim_key_type type, int rsa_bits)
{
	struct strbuf path = STRBUF_INIT, txt = STRBUF_INIT, err = STRBUF_INIT;
	struct stat st;
	int rc = SESCTL_OK;

	strbuf_appendf(&path, "%s/%s.%s.pem", dir, selector,
		       type == DKIM_KEY_RSA ? "rsa" : "ed25519");
	if (lstat(strbuf_cstr(&path), &st) == 0) {
		printf("key %s exists: kept\n", strbuf_cstr(&path));
	} else if (errno != ENOENT) {
		sesctl_err("cannot check %s: %s", strbuf_cstr(&path), strerror(errno));
		rc = SESCTL_FAIL;
	} else if (dkim_key_generate(strbuf_cstr(&path), type, rsa_bits, &txt, &err) != 0) {
		sesctl_err("cannot make key %s: %s", strbuf_cstr(&path), strbuf_cstr(&err));
		rc = SESCTL_FAIL;
	} else {
		if (chmod(strbuf_cstr(&path), CMD_DOMAIN_KEY_MODE) != 0) /* whatever the umask */
			sesctl_err("warning: cannot chmod %s: %s", strbuf_cstr(&path),
				   strerror(errno));
		sesctl_chown_path(ctx, strbuf_cstr(&path));
		if (type == DKIM_KEY_RSA)
			printf("key %s made (RSA, %d bits)\n", strbuf_cstr(&path), rsa_bits);
		else
			printf("key %s made (Ed25519)\n", strbuf_cstr(&path));
	}
	strbuf_free(&path);
	strbuf_free(&txt);
	strbuf_free(&err);
	return rc;
}

int cmd_domain_keys_make(const struct sesctl *ctx, const char *domain,
			 const struct cmd_domain_keyopts *o)
{
	const char *selector = o->selector != NULL ? o->selector : ctx->conf->dkim_selector;
	struct strbuf ed = STRBUF_INIT;
	char *top, *dir;
	int rc = SESCTL_OK;

	if (o->no_keys)
		return SESCTL_OK;
	strbuf_appendf(&ed, "%s%s", selector, CMD_DOMAIN_ED25519_SUFFIX);
	if (!cmd_domain_selector_valid(selector) || !cmd_domain_selector_valid(strbuf_cstr(&ed))) {
		sesctl_err("\"%s\" is not a valid DKIM selector (letters, digits, '-' and '.'%s)",
			   selector, o->selector != NULL ? "" : "; see DkimSelector");
		strbuf_free(&ed);
		return SESCTL_FAIL;
	}
	top = cmd_domain_keys_dir(ctx, NULL);
	dir = cmd_domain_keys_dir(ctx, domain);
	if (sesctl_mkdir(ctx, top) != 0 || sesctl_mkdir(ctx, dir) != 0)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK)
		rc = cmd_domain_key_make(ctx, dir, selector, DKIM_KEY_RSA, o->rsa_bits);
	if (rc == SESCTL_OK && o->ed25519)
		rc = cmd_domain_key_make(ctx, dir, strbuf_cstr(&ed), DKIM_KEY_ED25519, 0);
	free(top);
	free(dir);
	strbuf_free(&ed);
	return rc;
}

/* Warns when two keys of the ring (from first, count of them) share a selector. */
static void cmd_domain_keys_check_selectors(const struct dkim_keyring *ring, size_t first,
					    size_t count)
{
	size_t i, j;

	for (i = first; i < first + count; i++)
		for (j = i + 1; j < first + count; j++)
			if (strcasecmp(ring->v[i].selector, ring->v[j].selector) == 0)
				sesctl_err("warning: two keys of %s have selector %s, but %s."
					   "_domainkey.%s can publish only one",
					   ring->v[i].domain, ring->v[i].selector,
					   ring->v[i].selector, ring->v[i].domain);
}

int cmd_domain_records_build(const struct sesctl *ctx, const char *domain,
			     struct domain_check_records *recs)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	struct dkim_keyring *ring;
	size_t first = 0, count = 0, i;
	char *dir = cmd_domain_keys_dir(ctx, NULL);
	int rc = SESCTL_OK;

	memset(recs, 0, sizeof *recs);
	ring = dkim_keyring_load(dir, ctx->conf->allow_world_readable_keys, &diags);
	for (i = 0; i < diags.n; i++)
		sesctl_err("%s", diags.msgs[i]);
	if (ring == NULL) {
		sesctl_err("cannot load the DKIM keys in %s", dir);
		rc = SESCTL_FAIL;
	} else {
		dkim_keyring_find(ring, domain, &first, &count);
		cmd_domain_keys_check_selectors(ring, first, count);
		if (domain_check_build(ctx->conf, ring, domain, recs, &err) != 0) {
			sesctl_err("%s", strbuf_cstr(&err));
			rc = SESCTL_FAIL;
		}
	}
	dkim_keyring_free(ring);
	diag_free(&diags);
	strbuf_free(&err);
	free(dir);
	return rc;
}

/* Appends text as zone-file TXT data: quoted strings of at most 255 bytes. */
static void cmd_domain_txt_zone(struct strbuf *out, const char *text)
{
	size_t len = strlen(text), off, i, n;
	bool many = len > CMD_DOMAIN_TXT_CHUNK;

	if (many)
		strbuf_appends(out, "( ");
	for (off = 0; off < len || off == 0; off += n) {
		n = len - off < CMD_DOMAIN_TXT_CHUNK ? len - off : CMD_DOMAIN_TXT_CHUNK;
		strbuf_appendc(out, '"');
		for (i = off; i < off + n; i++) {
			if (text[i] == '"' || text[i] == '\\')
				strbuf_appendc(out, '\\');
			strbuf_appendc(out, text[i]);
		}
		strbuf_appends(out, many ? "\" " : "\"");
		if (len == 0)
			break;
	}
	if (many)
		strbuf_appendc(out, ')');
}

void cmd_domain_records_print(const struct sesctl *ctx, const struct domain_check_records *recs)
{
	struct strbuf line = STRBUF_INIT;
	size_t i, ndkim = 0;

	for (i = 0; i < recs->n; i++) {
		const struct domain_check_record *r = &recs->v[i];

		strbuf_reset(&line);
		strbuf_appendf(&line, "%s. IN ", r->name);
		if (r->kind == DOMAIN_CHECK_MX) {
			strbuf_appendf(&line, "MX %d %s%s", CMD_DOMAIN_MX_PREF, r->value,
				       r->unset ? "" : ".");
		} else {
			strbuf_appends(&line, "TXT ");
			cmd_domain_txt_zone(&line, r->value);
		}
		printf("%s\n", strbuf_cstr(&line));
		ndkim += r->kind == DOMAIN_CHECK_DKIM;
		if (r->unset)
			sesctl_err("warning: %s is not set in %s: the record for %s shows a "
				   "placeholder",
				   r->key, ctx->conf->path, r->name);
	}
	if (ndkim == 0)
		sesctl_err("warning: %s has no DKIM key in %s/keys/%s/ (sesctl domain add makes "
			   "them)",
			   recs->domain, ctx->conf->data_dir, recs->domain);
	strbuf_free(&line);
}
