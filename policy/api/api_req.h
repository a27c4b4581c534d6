/*
 * api_req - the bodies of Tencent Cloud API 3.0 SES requests, parsed into
 * structs with jansson.
 *
 * A body must be one JSON object (else InvalidParameter).  A field of the
 * wrong type is InvalidParameterValue, a missing required one
 * MissingParameter, a bad value (an address with a line break, content
 * that is not base64) InvalidParameterValue; err says which field.
 * Fields the gateway does not know are ignored, as Tencent's SDKs may add
 * some.
 */
#ifndef SES_API_REQ_H
#define SES_API_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_MAX_BODY (8u << 20) /* bytes: a 4 MiB message in base64, and room */
#define API_MAX_DESTINATIONS 50
#define API_MAX_ATTACHMENTS 10

/* An API error: Tencent's code and a message for people. */
struct api_error {
	char code[96]; /* "InvalidParameterValue", ...; "": none */
	char message[256];
};

/* Sets err; returns -1 (for "return api_fail(...)"). */
int api_fail(struct api_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses body as one JSON object; NULL with err set otherwise.  Caller decrefs. */
json_t *api_parse_body(const char *body, size_t len, struct api_error *err);

/* The string field name of obj: 1 found, 0 absent (or null), -1 bad type (err set). */
int api_get_string(json_t *obj, const char *name, const char **out, struct api_error *err);
/* The integer field name (a number, or a string of digits as some SDKs send). */
int api_get_uint(json_t *obj, const char *name, unsigned long long *out, struct api_error *err);

struct api_attachment {
	char *name;
	unsigned char *data;
	size_t len;
};

/* SendEmail's fields. */
struct api_send_email {
	char *from;	 /* FromEmailAddress as given: "Name <a@b>" or "a@b" */
	char *from_addr; /* its address */
	char **to;	 /* Destination, then Cc, then Bcc: the envelope */
	size_t nto;
	size_t ndest; /* to[0..ndest): Destination (the To: header) */
	size_t ncc;   /* to[ndest..ndest+ncc): Cc (the Cc: header) */
	char *subject;
	char *reply_to; /* ReplyToAddresses; NULL: none */
	bool has_template;
	unsigned long long template_id;
	char *template_data; /* compact JSON text; NULL: none */
	char *text, *html;   /* Simple, decoded; NULL: none */
	struct api_attachment *att;
	size_t natt;
	int unsubscribe;  /* -1: not given */
	int trigger_type; /* -1: not given */
};

/* Parses SendEmail's body into req.  0, or -1 with err set.  Free with api_send_email_free. */
int api_parse_send_email(const char *body, size_t len, struct api_send_email *req,
			 struct api_error *err);
void api_send_email_free(struct api_send_email *req);

/* Decodes base64 (no line breaks needed, padding required); NULL when it is not. */
unsigned char *api_base64_decode(const char *in, size_t *len);

#endif
