/*
 * track_token - open and click tokens; see track_token.h for the format.
 *
 * Diagnostics: the make function's reasons, listed in track_token.h.
 */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "account.h"
#include "mac.h"
#include "strbuf.h"
#include "track_token.h"
#include "verp.h"

#define TRACK_PURPOSE "track"
#define TRACK_VERSION 0x20
#define TRACK_HEAD 10		/* flags, key id, template ID, send time */

/* Copies s into dst (cap + 1 bytes) when it fits and holds no NUL. */
static bool track_copy(char *dst, size_t cap, const char *s, size_t len)
{
	if (len > cap || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

bool track_url_ok(const char *url, size_t len)
{
	size_t i, scheme;

	if (len > TRACK_URL_MAX)
		return false;
	if (len > 7 && strncasecmp(url, "http://", 7) == 0)
		scheme = 7;
	else if (len > 8 && strncasecmp(url, "https://", 8) == 0)
		scheme = 8;
	else
		return false;
	if (url[scheme] == '/' || url[scheme] == '?' || url[scheme] == '#')
		return false;	/* no host */
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] == 0x7f)
			return false;
	return true;
}

/* Checks the message ID: printable ASCII without blanks. */
static bool track_msgid_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > TRACK_MSGID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int track_info_set(struct track_info *info, enum track_kind kind, const char *msgid,
		   const char *rcpt, const char *account, const char *domain,
		   unsigned long template_id, int64_t sent, const char *url,
		   struct strbuf *err)
{
	struct strbuf d = STRBUF_INIT, r = STRBUF_INIT;
	int rc = -1;

	memset(info, 0, sizeof *info);
	info->kind = kind;
	info->template_id = template_id;
	info->sent = sent;
	account = account != NULL ? account : "";
	if (msgid == NULL || !track_msgid_ok(msgid)) {
		strbuf_appendf(err, "message ID of %zu bytes is not valid",
			       msgid != NULL ? strlen(msgid) : 0);
		goto out;
	}
	strcpy(info->msgid, msgid);
	verp_norm_rcpt(rcpt != NULL ? rcpt : "", &r);
	if (r.len == 0 || !track_copy(info->rcpt, TRACK_RCPT_MAX, r.data, r.len)) {
		strbuf_appendf(err, "recipient of %zu bytes is not valid", r.len);
		goto out;
	}
	if (domain == NULL || verp_norm_domain(domain, &d) != 0 ||
	    !track_copy(info->domain, VERP_DOMAIN_MAX, d.data, d.len)) {
		strbuf_appendf(err, "sender domain \"%s\" is not a valid domain name",
			       domain != NULL ? domain : "");
		goto out;
	}
	if (*account != '\0' && (!account_name_valid(account) ||
				 !track_copy(info->account, TRACK_ACCOUNT_MAX, account,
					     strlen(account)))) {
		strbuf_appendf(err, "account name \"%s\" is not valid", account);
		goto out;
	}
	if (kind == TRACK_CLICK) {
		size_t n = url != NULL ? strlen(url) : 0;

		if (n > TRACK_URL_MAX) {
			strbuf_appendf(err, "URL of %zu bytes is too long (at most %d)", n,
				       TRACK_URL_MAX);
			goto out;
		}
		if (!track_url_ok(url != NULL ? url : "", n)) {
			strbuf_appends(err, "URL is not absolute http(s) or holds blanks");
			goto out;
		}
		memcpy(info->url, url, n + 1);
	}
	rc = 0;
out:
	strbuf_free(&d);
	strbuf_free(&r);
	return rc;
}

/* Appends n as 4 bytes, most significant first. */
static void track_put32(struct strbuf *p, unsigned long n)
{
	unsigned char b[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	strbuf_append(p, b, sizeof b);
}

static unsigned long track_get32(const unsigned char *b)
{
	return ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) |
	       ((unsigned long)b[2] << 8) | b[3];
}

static void track_put_field(struct strbuf *p, const char *s)
{
	size_t n = strlen(s);

	strbuf_appendc(p, (char)n);
	strbuf_append(p, s, n);
}

int track_make(const struct mac_key *key, const struct track_info *info, struct strbuf *out,
	       struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int64_t sent = info->sent < 0 ? 0 : info->sent > 0xffffffffLL ? 0xffffffffLL : info->sent;

	if (info->kind != TRACK_OPEN && info->kind != TRACK_CLICK) {
		strbuf_appends(err, "unknown tracking kind");
		return -1;
	}
	if (info->kind == TRACK_CLICK && !track_url_ok(info->url, strlen(info->url))) {
		strbuf_appends(err, "URL is not absolute http(s) or holds blanks");
		return -1;
	}
	strbuf_appendc(&p, (char)(TRACK_VERSION | info->kind));
	strbuf_appendc(&p, (char)mac_key_id(key));
	track_put32(&p, info->template_id & 0xffffffffUL);
	track_put32(&p, (unsigned long)sent);
	track_put_field(&p, info->msgid);
	track_put_field(&p, info->rcpt);
	track_put_field(&p, info->account);
	track_put_field(&p, info->domain);
	if (info->kind == TRACK_CLICK)
		strbuf_appends(&p, info->url);
	mac_seal64(key, TRACK_PURPOSE, p.data, p.len, out);
	strbuf_free(&p);
	return 0;
}

/* Reads one length-prefixed field into dst (cap + 1); empty only when may_empty. */
static bool track_get_field(const unsigned char **p, size_t *left, char *dst, size_t cap,
			    bool may_empty)
{
	size_t n;

	if (*left < 1)
		return false;
	n = (*p)[0];
	if (n + 1 > *left || (n == 0 && !may_empty) ||
	    !track_copy(dst, cap, (const char *)*p + 1, n))
		return false;
	*p += n + 1;
	*left -= n + 1;
	return true;
}

/* Fills info from an authenticated payload; false when its shape is wrong. */
static bool track_parse(const struct strbuf *pl, struct track_info *info)
{
	const unsigned char *p = (const unsigned char *)pl->data;
	size_t left = pl->len;

	if (left < TRACK_HEAD)
		return false;
	info->kind = (enum track_kind)(p[0] & 0x0f);
	if ((p[0] & 0xf0) != TRACK_VERSION ||
	    (info->kind != TRACK_OPEN && info->kind != TRACK_CLICK))
		return false;
	info->template_id = track_get32(p + 2);
	info->sent = (int64_t)track_get32(p + 6);
	p += TRACK_HEAD;
	left -= TRACK_HEAD;
	if (!track_get_field(&p, &left, info->msgid, TRACK_MSGID_MAX, false) ||
	    !track_get_field(&p, &left, info->rcpt, TRACK_RCPT_MAX, false) ||
	    !track_get_field(&p, &left, info->account, TRACK_ACCOUNT_MAX, true) ||
	    !track_get_field(&p, &left, info->domain, VERP_DOMAIN_MAX, false))
		return false;
	if (info->kind == TRACK_OPEN)
		return left == 0;
	/* sealed by us, but checked again: it becomes a Location header */
	return track_url_ok((const char *)p, left) &&
	       track_copy(info->url, TRACK_URL_MAX, (const char *)p, left);
}

enum track_result track_verify(const struct mac_key *const *keys, size_t nkeys,
			       const char *token, size_t len, struct track_info *info)
{
	struct strbuf raw = STRBUF_INIT, pl = STRBUF_INIT;
	enum track_result r = TRACK_MALFORMED;
	enum mac_open_result o;
	size_t i;

	memset(info, 0, sizeof *info);
	if (len == 0 || len > (TRACK_URL_MAX + 700) * 4 / 3 ||
	    mac_base64url_decode(token, len, &raw) != 0 || raw.len < 2 + MAC64_TAG_LEN)
		goto out;
	r = TRACK_FORGED;
	for (i = 0; i < nkeys; i++) {
		if (keys[i] == NULL || mac_key_id(keys[i]) != (unsigned char)raw.data[1])
			continue;
		o = mac_open64(keys[i], TRACK_PURPOSE, token, len, &pl);
		if (o == MAC_OPEN_OK) {
			r = track_parse(&pl, info) ? TRACK_OK : TRACK_MALFORMED;
			break;
		}
	}
out:
	if (r != TRACK_OK)
		memset(info, 0, sizeof *info);
	strbuf_free(&raw);
	strbuf_free(&pl);
	return r;
}

const char *track_result_name(enum track_result r)
{
	switch (r) {
	case TRACK_OK:
		return "ok";
	case TRACK_MALFORMED:
		return "malformed";
	case TRACK_FORGED:
		return "forged";
	}
	return "unknown";
}
