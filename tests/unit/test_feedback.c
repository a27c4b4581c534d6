/*
 * test_feedback - unit tests for policy/feedback/feedback.c against the in-memory
 * store: which recipients are ours, bounces (hard ones blocklisted, soft
 * ones and successes only reported, reports about other addresses
 * ignored), complaints (suppressed for the domain's account), unsubscribe
 * mails (inline and hashed tokens), automatic suspension at the bounce
 * rate, the events emitted, and a store that cannot record.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entries.h"
#include "feedback.h"
#include "mime_count.h"
#include "rulefix.h"
#include "store_mem.h"
#include "testutil.h"
#include "unsub_token.h"

#define NOW_S 1795000000LL

struct fbfix {
	struct fixture *f;	/* the rule fixture: snapshot with accounts */
	struct mac_key key;
	struct store st;
	char *dir;
	char *journal;
	struct feedback_ctx c;
	struct feedback_result r;
	enum event_type events[16];
	enum event_bounce bounces[16];
	size_t nevents;
};

static void fb_emit(void *arg, const struct feedback_note *n)
{
	struct fbfix *x = arg;

	if (x->nevents < 16) {
		x->events[x->nevents] = n->type;
		x->bounces[x->nevents++] = n->bounce;
	}
}

static int fb_setup(void **state)
{
	struct fbfix *x = calloc(1, sizeof *x);

	assert_non_null(x);
	fx_setup((void **)&x->f);
	memset(&x->key, 0x42, sizeof x->key);
	store_mem_open(&x->st);
	store_mem_set_time(&x->st, (time_t)NOW_S);
	x->dir = testutil_tmpdir();
	x->journal = testutil_path(x->dir, "journal");
	x->c = (struct feedback_ctx){ &x->key, &x->st, x->journal, x->f->snap->accounts, 180,
				      NOW_S * 1000000, "gw1", 8, 20, fb_emit, x };
	*state = x;
	return 0;
}

static int fb_teardown(void **state)
{
	struct fbfix *x = *state;

	strbuf_free(&x->r.log);
	store_free(&x->st);
	free(x->journal);
	testutil_rmtree_free(x->dir);
	fx_teardown((void **)&x->f);
	free(x);
	return 0;
}

static void verp_for(struct fbfix *x, const char *rcpt, struct strbuf *out)
{
	assert_int_equal(feedback_verp_sender(&x->key, "example.com", "4BX2KQ9", rcpt, out), 0);
}

static void dsn_of(struct strbuf *out, const char *rcpt, const char *action, const char *status)
{
	strbuf_appendf(out,
		       "From: MAILER-DAEMON@mx.example.net\r\nSubject: bounce\r\nMIME-Version: 1.0\r\n"
		       "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n"
		       "\r\n--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B\r\n"
		       "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
		       "Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n\r\n--B--\r\n",
		       rcpt, action, status);
}

static bool present(struct fbfix *x, enum entry_kind kind, const char *scope, const char *addr)
{
	struct entry_id id = { kind, scope, addr };
	bool yes = false;

	assert_int_equal(entry_lookup(&x->st, &id, &yes), STORE_OK);
	return yes;
}

/* Sends a DSN about about to the VERP address made for rcpt. */
static void bounce(struct fbfix *x, const char *rcpt, const char *about, const char *action,
		   const char *status)
{
	struct strbuf verp = STRBUF_INIT, msg = STRBUF_INIT;

	verp_for(x, rcpt, &verp);
	dsn_of(&msg, about, action, status);
	feedback_handle(&x->c, strbuf_cstr(&verp), "<>", NULL, msg.data, msg.len, &x->r);
	strbuf_free(&verp);
	strbuf_free(&msg);
}

static void addresses_are_classified(void **state)
{
	struct fbfix *x = *state;
	struct strbuf v = STRBUF_INIT, u = STRBUF_INIT, err = STRBUF_INIT;

	verp_for(x, "a@example.net", &v);
	assert_int_equal(unsub_mailto_make(&x->key, "example.com", "a@example.net", NULL, &u, &err), 0);
	assert_int_equal(feedback_classify(&x->key, strbuf_cstr(&v)), FEEDBACK_ADDR_BOUNCE);
	assert_int_equal(feedback_classify(&x->key, strbuf_cstr(&u)), FEEDBACK_ADDR_UNSUB);
	assert_int_equal(feedback_classify(&x->key, "<postmaster@example.com>"), FEEDBACK_ADDR_NONE);
	v.data[3] = v.data[3] == 'a' ? 'b' : 'a';	/* payload changed: the tag no longer fits */
	assert_int_equal(feedback_classify(&x->key, strbuf_cstr(&v)), FEEDBACK_ADDR_FORGED);
	assert_int_equal(feedback_classify(&x->key, "b-zzzz-zzzzzzzzzz@example.com"),
			 FEEDBACK_ADDR_FORGED);
	strbuf_free(&v);
	strbuf_free(&u);
	strbuf_free(&err);
}

static void hard_bounce_blocklists_with_an_event(void **state)
{
	struct fbfix *x = *state;

	bounce(x, "gone@example.net", "gone@example.net", "failed", "5.1.1");
	assert_int_equal(x->r.blocklisted, 1);
	assert_true(present(x, ENTRY_BLOCKLIST, NULL, "gone@example.net"));
	assert_int_equal(x->nevents, 1);
	assert_int_equal(x->events[0], EVENT_BOUNCE);
	assert_int_equal(x->bounces[0], EVENT_BOUNCE_HARD);
}

static void delay_and_soft_failure_are_not_blocklisted(void **state)
{
	struct fbfix *x = *state;

	bounce(x, "busy@example.net", "busy@example.net", "delayed", "4.2.2");
	bounce(x, "full@example.net", "full@example.net", "failed", "4.2.2");
	assert_int_equal(x->r.blocklisted, 0);
	assert_false(present(x, ENTRY_BLOCKLIST, NULL, "full@example.net"));
	assert_int_equal(x->nevents, 2);
	assert_int_equal(x->events[0], EVENT_DEFERRED);
	assert_int_equal(x->events[1], EVENT_BOUNCE);
	assert_int_equal(x->bounces[1], EVENT_BOUNCE_SOFT);
}

static void success_is_a_delivered_event(void **state)
{
	struct fbfix *x = *state;

	bounce(x, "ok@example.net", "ok@example.net", "delivered", "2.0.0");
	assert_int_equal(x->r.delivered, 1);
	assert_int_equal(x->events[0], EVENT_DELIVERED);
}

static void report_about_another_recipient_is_ignored(void **state)
{
	struct fbfix *x = *state;

	bounce(x, "real@example.net", "victim@example.net", "failed", "5.1.1");
	assert_int_equal(x->r.ignored, 1);
	assert_false(present(x, ENTRY_BLOCKLIST, NULL, "victim@example.net"));
	assert_int_equal(x->nevents, 0);
}

/* Sends the DSN about `about`, forwarded inside a message, with the DSN's To set to `to`. */
static void forwarded_bounce(struct fbfix *x, const char *verp, const char *to, const char *about)
{
	struct strbuf msg = STRBUF_INIT, dsn = STRBUF_INIT;

	dsn_of(&dsn, about, "failure", "550");
	strbuf_appendf(&msg, "From: postmaster@relay.example.net\r\nSubject: Fwd: bounce\r\n"
			     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=F\r\n\r\n"
			     "--F\r\nContent-Type: text/plain\r\n\r\nForwarded.\r\n--F\r\n"
			     "Content-Type: message/rfc822\r\n\r\nTo: %s\r\n%s\r\n--F--\r\n",
		       to, dsn.data);
	feedback_handle(&x->c, verp, "<>", NULL, msg.data, msg.len, &x->r);
	strbuf_free(&msg);
	strbuf_free(&dsn);
}

static void forwarded_bounce_sent_to_the_verp_address_blocklists(void **state)
{
	struct fbfix *x = *state;
	struct strbuf verp = STRBUF_INIT, to = STRBUF_INIT;
	char *p;

	verp_for(x, "gone@example.net", &verp);
	strbuf_appendf(&to, "Shop <%s>", strbuf_cstr(&verp));
	for (p = to.data; *p != '\0'; p++)	/* an MTA may change the case */
		*p = (char)toupper((unsigned char)*p);
	forwarded_bounce(x, strbuf_cstr(&verp), strbuf_cstr(&to), "gone@example.net");
	if (x->r.blocklisted != 1 || !present(x, ENTRY_BLOCKLIST, NULL, "gone@example.net"))
		fail_msg("got %u blocklisted, want 1 (log: %s)", x->r.blocklisted,
			 strbuf_cstr(&x->r.log));
	strbuf_free(&verp);
	strbuf_free(&to);
}

static void forwarded_bounce_sent_elsewhere_is_ignored(void **state)
{
	struct fbfix *x = *state;
	struct strbuf verp = STRBUF_INIT;

	/* a copy of the sender's own message, returned by an auto-reply, holding a fake DSN */
	verp_for(x, "gone@example.net", &verp);
	forwarded_bounce(x, strbuf_cstr(&verp), "gone@example.net", "gone@example.net");
	if (x->r.blocklisted != 0 || x->r.ignored != 1 ||
	    present(x, ENTRY_BLOCKLIST, NULL, "gone@example.net"))
		fail_msg("got %u blocklisted, %u ignored, want 0 and 1", x->r.blocklisted,
			 x->r.ignored);
	assert_non_null(strstr(strbuf_cstr(&x->r.log), "not sent to its VERP address"));
	assert_int_equal(x->nevents, 0);
	strbuf_free(&verp);
}

static void to_names_the_address_only_whole(void **state)
{
	(void)state;
	assert_true(feedback_to_names("a <b-x@example.com>", "<B-X@example.com>"));
	assert_true(feedback_to_names("b-x@example.com, c@d", "b-x@example.com"));
	assert_false(feedback_to_names("ab-x@example.com", "b-x@example.com"));
	assert_false(feedback_to_names("b-x@example.com.evil", "b-x@example.com"));
	assert_false(feedback_to_names("", "b-x@example.com"));
	assert_false(feedback_to_names("b-x@example.com", "<>"));
}

static void complaint_suppresses_for_the_domains_account(void **state)
{
	struct fbfix *x = *state;
	struct strbuf verp = STRBUF_INIT, msg = STRBUF_INIT;

	verp_for(x, "angry@example.net", &verp);
	strbuf_appends(&msg, "From: fbl@isp.example\r\nMIME-Version: 1.0\r\nContent-Type: "
			     "multipart/report; report-type=feedback-report; boundary=B\r\n\r\n"
			     "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B\r\nContent-Type: "
			     "message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n"
			     "Original-Rcpt-To: <angry@example.net>\r\n\r\n--B--\r\n");
	feedback_handle(&x->c, strbuf_cstr(&verp), "<>", NULL, msg.data, msg.len, &x->r);
	assert_int_equal(x->r.suppressed, 1);
	assert_true(present(x, ENTRY_SUPPRESSION, "acme", "angry@example.net"));
	assert_int_equal(x->events[0], EVENT_SPAMREPORT);
	strbuf_free(&verp);
	strbuf_free(&msg);
}

static void unsubscribe_mail_records_domain_and_recipient(void **state)
{
	struct fbfix *x = *state;
	struct strbuf u = STRBUF_INIT, err = STRBUF_INIT;
	const char *rcpt = "a.reader.with.a.rather.long.address@example.net";

	assert_int_equal(unsub_mailto_make(&x->key, "example.com", rcpt, NULL, &u, &err), 0);
	/* a hashed token: only the recipient's own mailbox can use it */
	feedback_handle(&x->c, strbuf_cstr(&u), "<someone.else@example.net>",
			"Someone <someone.else@example.net>", "x", 1, &x->r);
	assert_int_equal(x->r.unsubscribed, 0);
	feedback_handle(&x->c, strbuf_cstr(&u), "<>", "Reader <A.Reader.With.A.Rather.Long.Address@example.net>",
			"x", 1, &x->r);
	assert_int_equal(x->r.unsubscribed, 1);
	assert_true(present(x, ENTRY_UNSUBSCRIBE, "example.com", rcpt));
	assert_int_equal(x->events[0], EVENT_UNSUBSCRIBE);
	strbuf_free(&u);
	strbuf_free(&err);
}

/* Sets the account's accepted count of days_ago. */
static void accepted(struct fbfix *x, int days_ago, unsigned n)
{
	struct strbuf key = STRBUF_INIT;
	char day[16], val[16];
	time_t t = (time_t)(NOW_S - days_ago * 86400LL);
	struct tm tm;
	const char *parts[3] = { "acme", day, NULL };

	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y%m%d", &tm);
	store_key(&key, "dq", parts);
	snprintf(val, sizeof val, "%u", n);
	assert_int_equal(store_set(&x->st, strbuf_cstr(&key), val, strlen(val), 86400), STORE_OK);
	strbuf_free(&key);
}

static void bounce_rate_suspends_at_eight_percent_of_the_sample(void **state)
{
	struct fbfix *x = *state;

	accepted(x, 0, 15);
	accepted(x, 1, 10);	/* 25 over two days */
	bounce(x, "b1@example.net", "b1@example.net", "failed", "5.1.1");	/* 4 % */
	assert_false(present(x, ENTRY_SUSPENSION, "acme", ""));
	bounce(x, "b2@example.net", "b2@example.net", "failed", "5.1.1");	/* 8 % */
	assert_int_equal(x->r.suspended, 1);
	assert_true(present(x, ENTRY_SUSPENSION, "acme", ""));
}

static void small_sample_does_not_suspend(void **state)
{
	struct fbfix *x = *state;

	accepted(x, 0, 5);	/* under SuspendMinSample 20 */
	bounce(x, "b1@example.net", "b1@example.net", "failed", "5.1.1");
	bounce(x, "b2@example.net", "b2@example.net", "failed", "5.1.1");
	assert_false(present(x, ENTRY_SUSPENSION, "acme", ""));
}

static void store_failure_is_reported(void **state)
{
	struct fbfix *x = *state;

	free(x->journal);
	x->journal = strdup("/nonexistent-dir/journal");
	x->c.journal_path = x->journal;
	bounce(x, "gone@example.net", "gone@example.net", "failed", "5.1.1");
	assert_true(x->r.store_failed);
	assert_int_equal(x->r.blocklisted, 0);
}

static void list_unsubscribe_has_mailto_and_one_click_url(void **state)
{
	struct fbfix *x = *state;
	struct strbuf v = STRBUF_INIT;

	assert_int_equal(feedback_list_unsubscribe(&x->key, "example.com", "a@example.net", "acme",
						   "https://u.example/x", &v), 0);
	if (strncmp(strbuf_cstr(&v), "<mailto:u-", 10) != 0 ||
	    strstr(strbuf_cstr(&v), "@example.com>, <https://u.example/x/u-") == NULL)
		fail_msg("List-Unsubscribe: got %s, want <mailto:u-...@example.com>, "
			 "<https://u.example/x/u-...>", strbuf_cstr(&v));
	strbuf_free(&v);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fb_setup, fb_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(addresses_are_classified),
		T(hard_bounce_blocklists_with_an_event),
		T(delay_and_soft_failure_are_not_blocklisted),
		T(success_is_a_delivered_event),
		T(report_about_another_recipient_is_ignored),
	T(forwarded_bounce_sent_to_the_verp_address_blocklists),
	T(forwarded_bounce_sent_elsewhere_is_ignored),
	cmocka_unit_test(to_names_the_address_only_whole),
	T(complaint_suppresses_for_the_domains_account),
		T(unsubscribe_mail_records_domain_and_recipient),
		T(bounce_rate_suspends_at_eight_percent_of_the_sample),
		T(small_sample_does_not_suspend),
		T(store_failure_is_reported),
		T(list_unsubscribe_has_mailto_and_one_click_url),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
