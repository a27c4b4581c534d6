/*
 * api_msg - the message of a SendEmail request (see api_msg.h).
 */
#include "autoconf.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_msg.h"
#include "xalloc.h"

#define API_MSG_B64_LINE 57   /* input bytes per 76-character base64 line */
#define API_MSG_WORD_BYTES 42 /* input bytes per encoded word (75 characters at most) */

static void api_msg_b64(const unsigned char *d, size_t n, struct strbuf *out)
{
	unsigned char buf[4 * ((API_MSG_B64_LINE + 2) / 3) + 1];
	int got;

	got = EVP_EncodeBlock(buf, d, (int)n);
	strbuf_append(out, buf, (size_t)got);
}

/* Appends data as base64 lines of 76 characters. */
static void api_msg_b64_lines(const unsigned char *d, size_t n, struct strbuf *out)
{
	size_t off, chunk;

	for (off = 0; off < n; off += chunk) {
		chunk = n - off < API_MSG_B64_LINE ? n - off : API_MSG_B64_LINE;
		api_msg_b64(d + off, chunk, out);
		strbuf_appends(out, "\r\n");
	}
}

static bool api_msg_plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

void api_msg_encode_words(const char *s, struct strbuf *out)
{
	size_t n = strlen(s), off = 0, chunk;

	if (api_msg_plain_ascii(s)) {
		strbuf_appends(out, s);
		return;
	}
	while (off < n) {
		chunk = n - off < API_MSG_WORD_BYTES ? n - off : API_MSG_WORD_BYTES;
		/* never split a UTF-8 sequence: back off continuation bytes */
		while (off + chunk < n && chunk > 1 &&
		       ((unsigned char)s[off + chunk] & 0xc0) == 0x80)
			chunk--;
		strbuf_appends(out, off > 0 ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
		api_msg_b64((const unsigned char *)s + off, chunk, out);
		strbuf_appends(out, "?=");
		off += chunk;
	}
}

/* Appends one base64 part with its headers. */
static void api_msg_part(const char *type, const char *disposition, const void *d, size_t n,
			 struct strbuf *out)
{
	strbuf_appendf(out, "Content-Type: %s\r\nContent-Transfer-Encoding: base64\r\n", type);
	if (disposition != NULL)
		strbuf_appendf(out, "Content-Disposition: %s\r\n", disposition);
	strbuf_appends(out, "\r\n");
	api_msg_b64_lines(d, n, out);
}

/* The content: text and/or HTML (alternative), or a placeholder for a template. */
static void api_msg_content(const struct api_send_email *req, const char *boundary,
			    struct strbuf *out)
{
	const char *ctype = "text/plain; charset=utf-8";

	if (req->text != NULL && req->html != NULL) {
		strbuf_appendf(out,
			       "Content-Type: multipart/alternative; boundary=\"%s-alt\"\r\n\r\n",
			       boundary);
		strbuf_appendf(out, "--%s-alt\r\n", boundary);
		api_msg_part(ctype, NULL, req->text, strlen(req->text), out);
		strbuf_appendf(out, "--%s-alt\r\n", boundary);
		api_msg_part("text/html; charset=utf-8", NULL, req->html, strlen(req->html), out);
		strbuf_appendf(out, "--%s-alt--\r\n", boundary);
	} else if (req->html != NULL) {
		api_msg_part("text/html; charset=utf-8", NULL, req->html, strlen(req->html), out);
	} else {
		/* a template's body replaces this one */
		const char *text = req->text != NULL ? req->text : "\r\n";

		api_msg_part(ctype, NULL, text, strlen(text), out);
	}
}

/* Appends name="value" for a file name: quoted, or RFC 2047 when not ASCII. */
static void api_msg_filename(const char *param, const char *name, struct strbuf *out)
{
	strbuf_appendf(out, "; %s=\"", param);
	if (api_msg_plain_ascii(name)) {
		for (; *name != '\0'; name++) {
			if (*name == '"' || *name == '\\')
				strbuf_appendc(out, '\\');
			strbuf_appendc(out, *name);
		}
	} else {
		api_msg_encode_words(name, out);
	}
	strbuf_appendc(out, '"');
}

static void api_msg_attachments(const struct api_send_email *req, const char *boundary,
				struct strbuf *out)
{
	struct strbuf type = STRBUF_INIT, disp = STRBUF_INIT;
	size_t i;

	strbuf_appendf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
	strbuf_appendf(out, "--%s\r\n", boundary);
	api_msg_content(req, boundary, out);
	for (i = 0; i < req->natt; i++) {
		strbuf_reset(&type);
		strbuf_reset(&disp);
		strbuf_appends(&type, "application/octet-stream");
		api_msg_filename("name", req->att[i].name, &type);
		strbuf_appends(&disp, "attachment");
		api_msg_filename("filename", req->att[i].name, &disp);
		strbuf_appendf(out, "--%s\r\n", boundary);
		api_msg_part(strbuf_cstr(&type), strbuf_cstr(&disp), req->att[i].data,
			     req->att[i].len, out);
	}
	strbuf_appendf(out, "--%s--\r\n", boundary);
	strbuf_free(&type);
	strbuf_free(&disp);
}

/* The control headers that select and fill a template. */
static void api_msg_controls(const struct api_send_email *req, struct strbuf *out)
{
	if (req->has_template)
		strbuf_appendf(out, "X-SES-Template: %llu\r\n", req->template_id);
	if (req->template_data != NULL)
		strbuf_appendf(out, "X-SES-Template-Data: %s\r\n", req->template_data);
	if (req->unsubscribe >= 0)
		strbuf_appendf(out, "X-SES-Unsubscribe: %d\r\n", req->unsubscribe);
	if (req->trigger_type >= 0)
		strbuf_appendf(out, "X-SES-Trigger-Type: %d\r\n", req->trigger_type);
}

/* Cc: the Cc addresses, one a line (Bcc addresses are never written). */
static void api_msg_cc(const struct api_send_email *req, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < req->ncc; i++)
		strbuf_appendf(out, "%s%s%s", i == 0 ? "Cc: " : ",\r\n ", req->to[req->ndest + i],
			       i + 1 == req->ncc ? "\r\n" : "");
}

/* From: the display name encoded when it needs it, the address as it is. */
static void api_msg_from(const char *from, struct strbuf *out)
{
	const char *lt = strrchr(from, '<');
	char *name;
	size_t n;

	if (lt == NULL || api_msg_plain_ascii(from)) {
		strbuf_appends(out, from);
		return;
	}
	n = (size_t)(lt - from);
	while (n > 0 && from[n - 1] == ' ')
		n--;
	name = xstrndup(from, n);
	if (n > 0 && name[0] == '"' && n > 1 && name[n - 1] == '"') {
		name[n - 1] = '\0';
		api_msg_encode_words(name + 1, out);
	} else {
		api_msg_encode_words(name, out);
	}
	strbuf_appendf(out, "%s%s", n > 0 ? " " : "", lt);
	free(name);
}

void api_msg_build(const struct api_send_email *req, const char *message_id, time_t now,
		   struct strbuf *out)
{
	const char *at = strrchr(req->from_addr, '@');
	char date[64], boundary[128];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strbuf_appendf(out, "Date: %s\r\nMessage-ID: <%s@%s>\r\n", date, message_id,
		       at != NULL ? at + 1 : "localhost");
	strbuf_appends(out, "From: ");
	api_msg_from(req->from, out);
	strbuf_appendf(out, "\r\nTo: %s\r\n",
		       req->ndest == 1 ? req->to[0] : "undisclosed-recipients:;");
	api_msg_cc(req, out);
	if (req->reply_to != NULL)
		strbuf_appendf(out, "Reply-To: %s\r\n", req->reply_to);
	strbuf_appends(out, "Subject: ");
	api_msg_encode_words(req->subject, out);
	strbuf_appends(out, "\r\nMIME-Version: 1.0\r\n");
	api_msg_controls(req, out);
	/* every part is base64, which never holds "--=_": the boundary is safe */
	snprintf(boundary, sizeof boundary, "=_%s", message_id);
	if (req->natt > 0)
		api_msg_attachments(req, boundary, out);
	else
		api_msg_content(req, boundary, out);
}
