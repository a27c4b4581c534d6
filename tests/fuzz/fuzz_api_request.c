/*
 * fuzz_api_request - libFuzzer target: what reaches the HTTP API from
 * outside, through its parsers: the body as a SendEmail request (and, when
 * it parses, into the message builder), and the body as an Authorization
 * header (tc3_parse_auth), signed like a request when it parses.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "api_msg.h"
#include "api_req.h"
#include "fuzzutil.h"
#include "tc3.h"

static const char *fuzz_header(void *arg, const char *name)
{
	(void)name;
	return arg;
}

static void fuzz_auth(const char *s)
{
	struct strbuf sig = STRBUF_INIT;
	struct tc3_auth a;
	struct tc3_request req = { "POST",	 "/",	      "",	 s,   strlen(s),
				   "1767225600", fuzz_header, (void *)s, true };

	if (!tc3_parse_auth(s, &a))
		return;
	(void)tc3_verify(&req, &a, "secret", 1767225600);
	tc3_sign(&req, &a, "secret", &sig);
	strbuf_free(&sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf msg = STRBUF_INIT;
	struct api_send_email req;
	struct api_error err;
	char *s = fuzz_cstr(data, size);

	if (api_parse_send_email((const char *)data, size, &req, &err) == 0)
		api_msg_build(&req, "fuzz", 1767225600, &msg);
	api_send_email_free(&req);
	strbuf_free(&msg);
	fuzz_auth(s);
	free(s);
	return 0;
}
