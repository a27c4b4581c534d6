/*
 * api_resp - the answers of the SES API: {"Response": {..., "RequestId"}},
 * errors as {"Response": {"Error": {"Code", "Message"}, "RequestId"}}, and
 * the SMTP replies of the submission turned into those codes.
 *
 * The MTA's refusals carry the SES error name first (SPEC section 8:
 * "550 5.7.1 FailedOperation.EmailAddrInBlacklist ..."), so the API
 * answers with the same code as the SMTP path.  A reply without one
 * (the MTA's own refusal) becomes FailedOperation, or
 * FailedOperation.ServiceNotAvailable for a 4xx.
 */
#ifndef SES_API_RESP_H
#define SES_API_RESP_H

#include <jansson.h>

#include "api_req.h"
#include "strbuf.h"

/* Appends a new RequestId (a random UUID) to out. */
void api_request_id(struct strbuf *out);

/* Renders {"Response": fields + RequestId} into out; steals fields (NULL: none). */
void api_render_ok(json_t *fields, const char *request_id, struct strbuf *out);
/* Renders err as Tencent's error answer into out. */
void api_render_error(const struct api_error *err, const char *request_id, struct strbuf *out);

/*
 * Fills err from an SMTP reply (its last line, "550 5.7.1 Name text"):
 * the SES error name when the text starts with one.
 */
void api_smtp_error(const char *reply, struct api_error *err);

/*
 * The queue ID of a 250 reply to DATA ("250 2.0.0 Ok: queued as 4ABC"),
 * appended to out; false when the reply names none.
 */
bool api_smtp_queue_id(const char *reply, struct strbuf *out);

#endif
