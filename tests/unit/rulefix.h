/*
 * rulefix - shared fixture for the rule tests; see rulefix.c.
 */
#ifndef SES_RULEFIX_H
#define SES_RULEFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "policy_msg.h"

struct fixture {
	struct policy_snapshot *snap;
	struct policy_conn *conn;
	struct policy_msg *msg;
	struct policy_decision d;
};

/* The time the policy sees, in microseconds; tests move it. */
extern int64_t fx_time_us;

struct account *fx_account(const char *name, const char *login, const char *net,
			   const struct ses_config *conf);
void fx_domain(struct account *a, const char *name, bool verified);
struct policy_snapshot *fx_snapshot(void);
struct sockaddr_in fx_addr(const char *ip, unsigned short port);
/* Opens a connection from ip (port 0 and "localhost": local submission). */
void fx_connect(struct fixture *f, const char *name, const char *ip, unsigned short port);
int fx_setup(void **state);
int fx_teardown(void **state);
/* Asserts d is the refusal "CODE XCODE NAME ..." */
void expect_reply(const struct policy_decision *d, const char *code, const char *xcode,
		  const char *name);
void expect_action(enum policy_action got, enum policy_action want);
/* MAIL from example.com and one recipient: the usual start. */
void fx_start(struct fixture *f);
/* Sends headers (NULL-terminated name, value pairs), then end of headers. */
enum policy_action fx_headers(struct fixture *f, ...);
/*
 * End of message as the adapter ends it when every planned change was
 * made: policy_eom(), then policy_finish(applied).  Returns the reply's
 * action (in f->d).
 */
enum policy_action fx_eom(struct fixture *f);

#endif
