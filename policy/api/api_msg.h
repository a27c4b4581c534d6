/*
 * api_msg - turns a SendEmail request into the message the gateway
 * submits to the MTA, as an SMTP client would have written it: the
 * template is named with X-SES-Template / X-SES-Template-Data (and
 * X-SES-Unsubscribe, X-SES-Trigger-Type), so the milter renders and
 * checks it exactly as for SMTP; Simple content becomes text and HTML
 * parts; attachments follow in multipart/mixed.  Every part is base64,
 * the Subject an RFC 2047 encoded word when it is not plain ASCII.  Lines
 * end in CRLF; the SMTP client dot-stuffs.
 */
#ifndef SES_API_MSG_H
#define SES_API_MSG_H

#include <time.h>

#include "api_req.h"
#include "strbuf.h"

/*
 * Appends the message for req to out; message_id is the Message-ID's left
 * part (unique), now its Date.  With several Destination addresses the To:
 * header names none of them ("undisclosed-recipients:;"), so recipients
 * do not see each other; Cc addresses are in Cc:, Bcc addresses nowhere.
 */
void api_msg_build(const struct api_send_email *req, const char *message_id, time_t now,
		   struct strbuf *out);

/* Appends s as a header value: as is when printable ASCII, else RFC 2047 base64 words. */
void api_msg_encode_words(const char *s, struct strbuf *out);

#endif
