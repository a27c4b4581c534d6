/*
 * api_submit - the SMTP client of the HTTP API's SendEmail: hands one
 * message to the MTA (ApiSubmit, loopback) as an account's client would,
 * so the milter applies the same policy and the MTA's reply is the
 * answer.  See api_submit.c.
 */
#ifndef SES_API_SUBMIT_H
#define SES_API_SUBMIT_H

#include <stddef.h>

#include "strbuf.h"

struct api_submission {
	const char *server; /* IPv4 HOST:PORT */
	const char *login;  /* XCLIENT LOGIN= */
	const char *mail_from;
	char *const *rcpts;
	size_t nrcpts;
	const char *msg; /* CRLF lines, not dot-stuffed */
	size_t len;
};

/*
 * Submits s.  Returns 0 with the MTA's 250 reply to the message in reply,
 * or -1 with the reply that refused it (a reply the gateway made up, "451
 * 4.3.0 FailedOperation.ServiceNotAvailable ...", when the MTA could not
 * be reached or spoke out of turn).  All recipients or none: a refused
 * recipient ends the transaction.
 */
int api_submit(const struct api_submission *s, struct strbuf *reply);

#endif
