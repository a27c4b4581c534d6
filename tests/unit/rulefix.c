/*
 * rulefix - the fixture the rule tests share: two accounts, an in-memory
 * store with a clock the tests move, a connection and a message, and the
 * assertions that print "got X, want Y".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rulefix.h"
#include "store_mem.h"

struct account *fx_account(const char *name, const char *login, const char *net,
				   const struct ses_config *conf)
{
	struct account *a = calloc(1, sizeof *a);

	assert_non_null(a);
	a->name = strdup(name);
	a->limits = conf->limits;
	a->level = 1;
	if (login != NULL) {
		a->logins = calloc(1, sizeof *a->logins);
		a->logins[0] = strdup(login);
		a->nlogins = 1;
	}
	if (net != NULL) {
		a->networks = calloc(1, sizeof *a->networks);
		assert_int_equal(netmask_parse(net, &a->networks[0]), 0);
		a->nnetworks = 1;
	}
	return a;
}

void fx_domain(struct account *a, const char *name, bool verified)
{
	a->domains = realloc(a->domains, (a->ndomains + 1) * sizeof *a->domains);
	a->domains[a->ndomains].name = strdup(name);
	a->domains[a->ndomains].verified = verified;
	a->ndomains++;
}

/*
 * acme: login acme, 192.0.2.0/24, example.com verified, unverified.example.
 * sleepy: suspended, sleepy.example verified.  news: login news,
 * 198.18.0.0/24, news.example verified, templates only.  LocalAccount acme.  The
 * store is in memory (store_mem) and the clock is fx_time_us.
 */
/* The fixture's clock: a fixed moment tests move with fx_time_us. */
int64_t fx_time_us = 1795300000LL * 1000000;

static int64_t fx_now_us(void *arg)
{
	(void)arg;
	return fx_time_us;
}

struct policy_snapshot *fx_snapshot(void)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ses_config *conf = config_load(NULL, &diags);
	struct account_db *db = calloc(1, sizeof *db);
	struct account *acme, *sleepy, *news;
	struct policy_snapshot *snap;

	assert_non_null(conf);
	free(conf->local_account);
	conf->local_account = strdup("acme");
	acme = fx_account("acme", "acme", "192.0.2.0/24", conf);
	fx_domain(acme, "example.com", true);
	fx_domain(acme, "unverified.example", false);
	acme->custom_content = true;	/* template-only sending has its own tests */
	sleepy = fx_account("sleepy", "sleepy", "198.51.100.0/24", conf);
	fx_domain(sleepy, "sleepy.example", true);
	sleepy->suspended = true;
	news = fx_account("news", "news", "198.18.0.0/24", conf);
	fx_domain(news, "news.example", true);	/* templates only */
	db->accounts = calloc(3, sizeof *db->accounts);
	db->accounts[0] = acme;
	db->accounts[1] = sleepy;
	db->accounts[2] = news;
	db->n = 3;
	snap = policy_snapshot_new(conf, db);
	store_mem_open(&snap->store);
	snap->clock.now_us = fx_now_us;
	return snap;
}

struct sockaddr_in fx_addr(const char *ip, unsigned short port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return sin;
}

/* Opens a connection from ip (port 0 and "localhost": local submission). */
void fx_connect(struct fixture *f, const char *name, const char *ip, unsigned short port)
{
	struct sockaddr_in sin = fx_addr(ip, port);
	bool local = policy_is_local_submission(name, (struct sockaddr *)&sin);

	f->conn = policy_conn_new(f->snap, NULL, name, (struct sockaddr *)&sin, local);
	f->msg = policy_msg_new(f->conn);
}

int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->snap = fx_snapshot();
	fx_connect(f, "client.example", "192.0.2.10", 40000);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fixture *f = *state;

	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	policy_snapshot_unref(f->snap);
	free(f);
	return 0;
}

/* Asserts d is the refusal "CODE XCODE NAME ..." */
void expect_reply(const struct policy_decision *d, const char *code, const char *xcode,
			 const char *name)
{
	char got[512], want[512];

	snprintf(got, sizeof got, "%s %s %s", d->code, d->xcode, d->text);
	snprintf(want, sizeof want, "%s %s %s", code, xcode, name);
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s ...\"", got, want);
}

void expect_action(enum policy_action got, enum policy_action want)
{
	if (got != want)
		fail_msg("got %s, want %s", policy_action_name(got), policy_action_name(want));
}

/* MAIL from example.com and one recipient: the usual start. */
void fx_start(struct fixture *f)
{
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<user@example.net>", &f->d), POLICY_CONTINUE);
}

/* Sends headers (NULL-terminated name, value pairs); returns the last action. */
enum policy_action fx_headers(struct fixture *f, ...)
{
	enum policy_action a = POLICY_CONTINUE;
	const char *name;
	va_list ap;

	va_start(ap, f);
	while (a == POLICY_CONTINUE && (name = va_arg(ap, const char *)) != NULL)
		a = policy_header(f->msg, name, va_arg(ap, const char *), &f->d);
	va_end(ap);
	if (a == POLICY_CONTINUE)
		a = policy_eoh(f->msg, &f->d);
	return a;
}


enum policy_action fx_eom(struct fixture *f)
{
	policy_eom(f->msg, &f->d);
	return policy_finish(f->msg, true, &f->d);
}
