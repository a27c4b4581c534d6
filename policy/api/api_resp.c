/*
 * api_resp - answers of the SES API (see api_resp.h).
 */
#include "autoconf.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_resp.h"

void api_request_id(struct strbuf *out)
{
	unsigned char b[16];
	size_t i;

	if (RAND_bytes(b, sizeof b) != 1)
		memset(b, 0, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < sizeof b; i++)
		strbuf_appendf(out, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			       b[i]);
}

/* Dumps {"Response": inner} into out; steals inner. */
static void api_render(json_t *inner, struct strbuf *out)
{
	json_t *root = json_pack("{s:o}", "Response", inner);
	char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;

	strbuf_appends(out, text != NULL ? text : "{\"Response\":{}}");
	free(text);
	json_decref(root);
}

void api_render_ok(json_t *fields, const char *request_id, struct strbuf *out)
{
	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "RequestId", json_string(request_id));
	api_render(fields, out);
}

void api_render_error(const struct api_error *err, const char *request_id, struct strbuf *out)
{
	json_t *inner = json_pack("{s:{s:s,s:s},s:s}", "Error", "Code",
				  err->code[0] != '\0' ? err->code : "InternalError", "Message",
				  err->message, "RequestId", request_id);

	if (inner == NULL) /* a message that is not UTF-8 */
		inner = json_pack("{s:{s:s,s:s},s:s}", "Error", "Code", "InternalError", "Message",
				  "", "RequestId", request_id);
	api_render(inner, out);
}

/* Length of an SES error name at s ("Word" or "Word.Word..."), or 0. */
static size_t api_error_name(const char *s)
{
	size_t n = 0;

	if (!isupper((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || (s[n] == '.' && isalpha((unsigned char)s[n + 1])))
		n++;
	return s[n] == '\0' || s[n] == ' ' || s[n] == ':' ? n : 0;
}

/* The start of the last line of a multi-line reply. */
static const char *api_last_line(const char *reply)
{
	const char *p = reply, *nl;

	while ((nl = strchr(p, '\n')) != NULL && nl[1] != '\0')
		p = nl + 1;
	return p;
}

void api_smtp_error(const char *reply, struct api_error *err)
{
	const char *line = api_last_line(reply), *text = line;
	size_t n, len;

	if (strlen(text) > 4)
		text += 4; /* "550 " or "550-" */
	if (isdigit((unsigned char)text[0]) && text[1] == '.')
		text += strcspn(text, " ") + (text[strcspn(text, " ")] == ' ');
	n = api_error_name(text);
	len = strcspn(line, "\r\n");
	/* a dotted name, or the one dotless name the milter uses */
	if (n > 0 && n < sizeof err->code &&
	    (memchr(text, '.', n) != NULL || (n == strlen("RequestLimitExceeded") &&
					      strncmp(text, "RequestLimitExceeded", n) == 0))) {
		api_fail(err, "", "%.*s", (int)len, line);
		memcpy(err->code, text, n);
		err->code[n] = '\0';
		return;
	}
	api_fail(err, line[0] == '4' ? "FailedOperation.ServiceNotAvailable" : "FailedOperation",
		 "%.*s", (int)len, line);
}

bool api_smtp_queue_id(const char *reply, struct strbuf *out)
{
	const char *p = strstr(api_last_line(reply), "queued as ");
	size_t n;

	if (p == NULL)
		return false;
	p += strlen("queued as ");
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
	if (n == 0)
		return false;
	strbuf_append(out, p, n);
	return true;
}
