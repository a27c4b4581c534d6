/*
 * api_req - request bodies of the SES API (see api_req.h).
 */
#include "autoconf.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_req.h"
#include "strbuf.h"
#include "xalloc.h"

int api_fail(struct api_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof err->code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

json_t *api_parse_body(const char *body, size_t len, struct api_error *err)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		api_fail(err, "InvalidParameter", "the body is not JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		api_fail(err, "InvalidParameter", "the body is not a JSON object");
		return NULL;
	}
	return root;
}

int api_get_string(json_t *obj, const char *name, const char **out, struct api_error *err)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return api_fail(err, "InvalidParameterValue", "%s must be a string", name);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return api_fail(err, "InvalidParameterValue", "%s holds a NUL character", name);
	*out = json_string_value(v);
	return 1;
}

int api_get_uint(json_t *obj, const char *name, unsigned long long *out, struct api_error *err)
{
	json_t *v = json_object_get(obj, name);
	const char *s;
	char *end;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (unsigned long long)json_integer_value(v);
		return 1;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!isdigit((unsigned char)*s))
		return api_fail(err, "InvalidParameterValue", "%s must be a non-negative integer",
				name);
	*out = strtoull(s, &end, 10);
	if (*end != '\0')
		return api_fail(err, "InvalidParameterValue", "%s must be a non-negative integer",
				name);
	return 1;
}

unsigned char *api_base64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in), i, pad = 0;
	unsigned char *out;
	int got;

	if (n % 4 != 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)in[i]) && in[i] != '+' && in[i] != '/' &&
		    !(in[i] == '=' && i >= n - 2))
			return NULL;
	if (n >= 1 && in[n - 1] == '=')
		pad++;
	if (n >= 2 && in[n - 2] == '=')
		pad++;
	if (pad == 1 && n >= 2 && in[n - 2] == '=')
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	got = n > 0 ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) : 0;
	if (got < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)got - pad;
	out[*len] = '\0';
	return out;
}

/* True when s can go into a header: no control characters (tab allowed). */
static bool api_header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

/* The address of "Name <a@b>" or "a@b": allocated, or NULL when none. */
static char *api_address_of(const char *s)
{
	const char *lt = strrchr(s, '<'), *gt;
	size_t n;

	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL)
			return NULL;
		s = lt + 1;
		n = (size_t)(gt - s);
	} else {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (s[n] != '\0')
			return NULL;
	}
	if (n == 0 || n > 320 || memchr(s, '@', n) == NULL || memchr(s, ' ', n) != NULL ||
	    memchr(s, '<', n) != NULL || memchr(s, '>', n) != NULL)
		return NULL;
	return xstrndup(s, n);
}

/*
 * Appends the addresses of the array field name (Destination, Cc, Bcc) to
 * req->to; the count it added in *added.  Destination is required; all
 * together hold at most API_MAX_DESTINATIONS.
 */
static int api_parse_rcpts(json_t *root, const char *name, bool required,
			   struct api_send_email *req, size_t *added, struct api_error *err)
{
	json_t *arr = json_object_get(root, name), *v;
	size_t i, n;

	*added = 0;
	if (arr == NULL || json_is_null(arr))
		return required ? api_fail(err, "MissingParameter", "%s is required", name) : 0;
	if (!json_is_array(arr))
		return api_fail(err, "InvalidParameterValue", "%s must be an array", name);
	n = json_array_size(arr);
	if ((required && n == 0) || req->nto + n > API_MAX_DESTINATIONS)
		return api_fail(err, "InvalidParameterValue",
				"Destination, Cc and Bcc must hold 1 to %d addresses in all",
				API_MAX_DESTINATIONS);
	req->to = xrealloc(req->to, (req->nto + n + 1) * sizeof *req->to);
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		char *addr = s != NULL && api_header_safe(s) ? api_address_of(s) : NULL;

		if (addr == NULL)
			return api_fail(err, "InvalidParameterValue",
					"%s[%zu] is not an email address", name, i);
		req->to[req->nto++] = addr;
		(*added)++;
	}
	return 0;
}

/* Destination, then Cc and Bcc: every envelope recipient in req->to. */
static int api_parse_destination(json_t *root, struct api_send_email *req, struct api_error *err)
{
	size_t bcc;

	if (api_parse_rcpts(root, "Destination", true, req, &req->ndest, err) != 0 ||
	    api_parse_rcpts(root, "Cc", false, req, &req->ncc, err) != 0 ||
	    api_parse_rcpts(root, "Bcc", false, req, &bcc, err) != 0)
		return -1;
	return 0;
}

/* Template: {TemplateID, TemplateData}; the data must be a JSON object. */
static int api_parse_template(json_t *root, struct api_send_email *req, struct api_error *err)
{
	json_t *t = json_object_get(root, "Template"), *data;
	const char *text;
	json_error_t jerr;

	if (t == NULL || json_is_null(t))
		return 0;
	if (!json_is_object(t))
		return api_fail(err, "InvalidParameterValue", "Template must be an object");
	if (api_get_uint(t, "TemplateID", &req->template_id, err) <= 0)
		return err->code[0] != '\0' ? -1
					    : api_fail(err, "MissingParameter",
						       "Template.TemplateID is required");
	req->has_template = true;
	if (api_get_string(t, "TemplateData", &text, err) < 0)
		return -1;
	if (text == NULL)
		return 0;
	data = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		return api_fail(err, "InvalidParameterValue.TemplateDataError",
				"Template.TemplateData is not a JSON object");
	}
	/* compact, UTF-8 kept: one header line without line breaks */
	req->template_data = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(data);
	return 0;
}

/* Decodes the base64 string field name of obj into *out (NUL-terminated). */
static int api_get_base64(json_t *obj, const char *what, const char *name, unsigned char **out,
			  size_t *len, struct api_error *err)
{
	const char *s;
	int rc = api_get_string(obj, name, &s, err);

	if (rc <= 0)
		return rc;
	*out = api_base64_decode(s, len);
	if (*out == NULL)
		return api_fail(err, "InvalidParameterValue", "%s%s is not base64", what, name);
	return 1;
}

/* Simple: {Html, Text}, each base64 of UTF-8. */
static int api_parse_simple(json_t *root, struct api_send_email *req, struct api_error *err)
{
	json_t *s = json_object_get(root, "Simple");
	unsigned char *html = NULL, *text = NULL;
	size_t len;

	if (s == NULL || json_is_null(s))
		return 0;
	if (!json_is_object(s))
		return api_fail(err, "InvalidParameterValue", "Simple must be an object");
	if (api_get_base64(s, "Simple.", "Html", &html, &len, err) < 0 ||
	    api_get_base64(s, "Simple.", "Text", &text, &len, err) < 0) {
		free(html);
		return -1;
	}
	req->html = (char *)html;
	req->text = (char *)text;
	if (html == NULL && text == NULL)
		return api_fail(err, "MissingParameter", "Simple needs Html or Text");
	return 0;
}

/* Attachments: [{FileName, Content}], Content base64. */
static int api_parse_attachments(json_t *root, struct api_send_email *req, struct api_error *err)
{
	json_t *arr = json_object_get(root, "Attachments"), *v;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return api_fail(err, "InvalidParameterValue", "Attachments must be an array");
	if (json_array_size(arr) > API_MAX_ATTACHMENTS)
		return api_fail(err, "FailedOperation.TooManyAttachments", "at most %d attachments",
				API_MAX_ATTACHMENTS);
	req->att = xcalloc(json_array_size(arr) + 1, sizeof *req->att);
	json_array_foreach(arr, i, v)
	{
		struct api_attachment *a = &req->att[i];
		const char *name;
		int rc;

		if (!json_is_object(v))
			return api_fail(err, "InvalidParameterValue",
					"Attachments[%zu] must be an object", i);
		req->natt = i + 1;
		if (api_get_string(v, "FileName", &name, err) < 0)
			return -1;
		if (name == NULL || *name == '\0' || !api_header_safe(name) || strlen(name) > 255)
			return api_fail(err, "InvalidParameterValue",
					"Attachments[%zu].FileName is missing or not a file name",
					i);
		a->name = xstrdup(name);
		rc = api_get_base64(v, "Attachments.", "Content", &a->data, &a->len, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return api_fail(err, "MissingParameter",
					"Attachments[%zu].Content is required", i);
	}
	return 0;
}

/* Subject, From, ReplyTo: strings safe in a header. */
static int api_parse_heads(json_t *root, struct api_send_email *req, struct api_error *err)
{
	const char *from, *subject, *reply;

	if (api_get_string(root, "FromEmailAddress", &from, err) < 0 ||
	    api_get_string(root, "Subject", &subject, err) < 0 ||
	    api_get_string(root, "ReplyToAddresses", &reply, err) < 0)
		return -1;
	if (from == NULL)
		return api_fail(err, "MissingParameter", "FromEmailAddress is required");
	if (subject == NULL)
		return api_fail(err, "MissingParameter", "Subject is required");
	if (!api_header_safe(from) || (req->from_addr = api_address_of(from)) == NULL)
		return api_fail(err, "InvalidParameterValue",
				"FromEmailAddress is not an email address");
	if (!api_header_safe(subject))
		return api_fail(err, "InvalidParameterValue.SubjectLengthError",
				"Subject holds a control character");
	if (reply != NULL && *reply != '\0') {
		char *addr = api_address_of(reply);

		if (addr == NULL || !api_header_safe(reply)) {
			free(addr);
			return api_fail(err, "InvalidParameterValue",
					"ReplyToAddresses is not an email address");
		}
		free(addr);
		req->reply_to = xstrdup(reply);
	}
	req->from = xstrdup(from);
	req->subject = xstrdup(subject);
	return 0;
}

/* Unsubscribe ("0".."10") and TriggerType (0 or 1). */
static int api_parse_flags(json_t *root, struct api_send_email *req, struct api_error *err)
{
	unsigned long long v;
	int rc;

	rc = api_get_uint(root, "Unsubscribe", &v, err);
	if (rc < 0)
		return -1;
	if (rc > 0 && v > 10)
		return api_fail(err, "InvalidParameterValue", "Unsubscribe must be 0 to 10");
	req->unsubscribe = rc > 0 ? (int)v : -1;
	rc = api_get_uint(root, "TriggerType", &v, err);
	if (rc < 0)
		return -1;
	if (rc > 0 && v > 1)
		return api_fail(err, "InvalidParameterValue", "TriggerType must be 0 or 1");
	req->trigger_type = rc > 0 ? (int)v : -1;
	return 0;
}

int api_parse_send_email(const char *body, size_t len, struct api_send_email *req,
			 struct api_error *err)
{
	json_t *root;
	int rc = -1;

	memset(req, 0, sizeof *req);
	req->unsubscribe = req->trigger_type = -1;
	err->code[0] = '\0';
	root = api_parse_body(body, len, err);
	if (root == NULL)
		return -1;
	if (api_parse_heads(root, req, err) == 0 && api_parse_destination(root, req, err) == 0 &&
	    api_parse_template(root, req, err) == 0 && api_parse_simple(root, req, err) == 0 &&
	    api_parse_attachments(root, req, err) == 0 && api_parse_flags(root, req, err) == 0)
		rc = 0;
	if (rc == 0 && !req->has_template && req->text == NULL && req->html == NULL)
		rc = api_fail(err, "MissingParameter", "Template or Simple is required");
	if (rc == 0 && req->has_template && (req->text != NULL || req->html != NULL))
		rc = api_fail(err, "InvalidParameterValue", "give Template or Simple, not both");
	json_decref(root);
	return rc;
}

void api_send_email_free(struct api_send_email *req)
{
	size_t i;

	free(req->from);
	free(req->from_addr);
	for (i = 0; i < req->nto; i++)
		free(req->to[i]);
	free(req->to);
	free(req->subject);
	free(req->reply_to);
	free(req->template_data);
	free(req->text);
	free(req->html);
	for (i = 0; i < req->natt; i++) {
		free(req->att[i].name);
		free(req->att[i].data);
	}
	free(req->att);
	memset(req, 0, sizeof *req);
}
