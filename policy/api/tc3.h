/*
 * tc3 - TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0,
 * checked on the gateway's side.
 *
 * A client signs with its SecretKey:
 *
 *   CanonicalRequest = METHOD \n URI \n QUERY \n
 *                      (name:value\n for each signed header) \n
 *                      SignedHeaders \n hex(sha256(body))
 *   StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n
 *                      DATE/SERVICE/tc3_request \n hex(sha256(CanonicalRequest))
 *   key              = HMAC(HMAC(HMAC("TC3" SecretKey, DATE), SERVICE), "tc3_request")
 *   Signature        = hex(HMAC(key, StringToSign))
 *
 * and sends "Authorization: TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/
 * tc3_request, SignedHeaders=a;b, Signature=HEX" with X-TC-Timestamp.
 * Header names are lower case; values are trimmed and lower-cased (as the
 * SDKs send content-type and host).  DATE is the UTC day of Timestamp.
 * The Node SDK signs the host name without the port its URL names while
 * the Host header carries it, so a signature is checked both ways.
 */
#ifndef SES_TC3_H
#define SES_TC3_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "strbuf.h"

#define TC3_ALGORITHM "TC3-HMAC-SHA256"
#define TC3_WINDOW_S 300 /* X-TC-Timestamp at most this far from now */
#define TC3_MAX_HEADERS 8

/* The parts of an Authorization header. */
struct tc3_auth {
	char secret_id[129];
	char date[11]; /* YYYY-MM-DD */
	char service[33];
	char signed_headers[256]; /* "content-type;host" */
	char signature[65];	  /* lower-case hex */
};

enum tc3_result {
	TC3_OK,
	TC3_MALFORMED, /* no or unparsable Authorization / timestamp */
	TC3_EXPIRED,   /* timestamp outside the window */
	TC3_BAD_SIGNATURE,
};

/* Parses an Authorization header value into a; false when malformed. */
bool tc3_parse_auth(const char *value, struct tc3_auth *a);

/* Looks up a request header by lower-case name: its value or NULL. */
typedef const char *tc3_header_fn(void *arg, const char *name);

/* What a signature covers. */
struct tc3_request {
	const char *method; /* "POST" */
	const char *uri;    /* "/" */
	const char *query;  /* "" */
	const char *body;
	size_t body_len;
	const char *timestamp; /* X-TC-Timestamp */
	tc3_header_fn *header;
	void *header_arg;
	bool host_without_port; /* sign "host" without its ":PORT" */
};

/* Appends the hex signature of req under a with secret_key to out. */
void tc3_sign(const struct tc3_request *req, const struct tc3_auth *a, const char *secret_key,
	      struct strbuf *out);

/*
 * Checks req against a and secret_key at time now: TC3_EXPIRED when the
 * timestamp is over TC3_WINDOW_S away, TC3_BAD_SIGNATURE when the
 * signature differs or a's date is not the timestamp's UTC day.
 */
enum tc3_result tc3_verify(const struct tc3_request *req, const struct tc3_auth *a,
			   const char *secret_key, time_t now);

#endif
