/*
 * test_eom - end of message as plan, apply, finish: the plan the policy
 * hands over, and what reply, summary line, events, counters and
 * reservations follow when the MTA refuses a change.  The changes go
 * through apply_plan() with fake operations (the seam the daemon fills
 * with libmilter's).
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apply.h"
#include "mime_count.h"
#include "rulefix.h"
#include "stats.h"

/* ---- fake MTA and captured log --------------------------------------------- */

struct fake_mta {
	const char *refuse;		/* the operation that fails, or NULL */
	struct strbuf calls;		/* "op arg\n" per call */
};

static int fake_call(void *ctx, const char *op, const char *arg)
{
	struct fake_mta *mta = ctx;

	strbuf_appendf(&mta->calls, "%s %s\n", op, arg != NULL ? arg : "-");
	return mta->refuse != NULL && strcmp(mta->refuse, op) == 0 ? -1 : 0;
}

static int fake_del_rcpt(void *c, const char *a) { return fake_call(c, "del_rcpt", a); }
static int fake_add_rcpt(void *c, const char *a, const char *x) { (void)x; return fake_call(c, "add_rcpt", a); }
static int fake_chg_from(void *c, const char *a) { return fake_call(c, "chg_from", a); }
static int fake_ins(void *c, const char *n, const char *v) { (void)v; return fake_call(c, "ins_header", n); }
static int fake_add(void *c, const char *n, const char *v) { (void)v; return fake_call(c, "add_header", n); }
static int fake_chg(void *c, const char *n, unsigned i, const char *v)
{
	(void)i;
	return fake_call(c, v != NULL ? "chg_header" : "del_header", n);
}
static int fake_body(void *c, const char *b, size_t n) { (void)b; (void)n; return fake_call(c, "body", NULL); }
static int fake_quarantine(void *c, const char *r) { return fake_call(c, "quarantine", r); }

static const struct apply_ops fake_ops = {
	fake_del_rcpt, fake_add_rcpt, fake_chg_from, fake_ins, fake_add, fake_chg, fake_body,
	fake_quarantine,
};

static struct strbuf eom_log = STRBUF_INIT;

static void eom_emit(void *arg, enum plog_level level, const char *msg)
{
	(void)arg;
	(void)level;
	strbuf_appendf(&eom_log, "%s\n", msg);
}

static const struct plog eom_plog = { eom_emit, NULL, PLOG_DEBUG };
static char eom_events[] = "/tmp/ses-test-eom.XXXXXX";

static int eom_setup(void **state)
{
	struct fixture *f;
	int fd;

	fx_setup(state);
	f = *state;
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	strcpy(eom_events, "/tmp/ses-test-eom.XXXXXX");
	fd = mkstemp(eom_events);
	assert_true(fd >= 0);
	close(fd);
	free(f->snap->events_path);
	f->snap->events_path = strdup(eom_events);
	strbuf_reset(&eom_log);
	return 0;
}

static int eom_teardown(void **state)
{
	unlink(eom_events);
	return fx_teardown(state);
}

/* Opens a connection from acme's network (or local submission) and sends MAIL. */
static void eom_begin(struct fixture *f, bool local)
{
	struct sockaddr_in sin = fx_addr(local ? "127.0.0.1" : "192.0.2.10", local ? 0 : 40000);

	f->conn = policy_conn_new(f->snap, &eom_plog, "client", (struct sockaddr *)&sin, local);
	f->msg = policy_msg_new(f->conn);
	policy_msg_set_queue_id(f->msg, "QID1");
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
}

/* A new transaction on the same connection, as after the client's retry. */
static void eom_again(struct fixture *f)
{
	policy_msg_abort(f->msg);
	policy_msg_free(f->msg);
	f->msg = policy_msg_new(f->conn);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
}

/* Two recipients and headers that ask for edits (a control header). */
static void eom_content(struct fixture *f)
{
	expect_action(policy_rcpt(f->msg, "<a@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<b@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(fx_headers(f, "Subject", "hello", "X-SES-Tag", "t1", NULL),
		      POLICY_CONTINUE);
}

/* Plan, apply through mta, finish: the reply's action. */
static enum policy_action eom_run(struct fixture *f, struct fake_mta *mta)
{
	bool applied;

	policy_eom(f->msg, &f->d);
	applied = apply_plan(&fake_ops, mta, policy_msg_plan(f->msg), f->msg) == 0;
	return policy_finish(f->msg, applied, &f->d);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

static char *read_events(void)
{
	static char buf[65536];
	FILE *fp = fopen(eom_events, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static void expect_count_of(const char *what, const char *hay, const char *needle, size_t want)
{
	size_t got = count_of(hay, needle);

	if (got != want)
		fail_msg("%s: got %zu \"%s\", want %zu", what, got, needle, want);
}

static uint64_t day_count(struct fixture *f, enum stats_kind kind)
{
	uint64_t got[STATS_NKINDS];
	char day[STATS_DAY_LEN];

	stats_day(fx_time_us / 1000000, day);
	if (stats_get_day(&f->snap->store, "example.com", day, got) != STORE_OK)
		return 0;
	return got[kind];
}

/* ---- tests ------------------------------------------------------------------- */

static void refused_edit_gives_451_and_everything_says_tempfail(void **state)
{
	struct fixture *f = *state;
	struct fake_mta mta = { "del_header", STRBUF_INIT };

	eom_begin(f, false);
	eom_content(f);
	expect_action(eom_run(f, &mta), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.3.0", "FailedOperation.ServiceNotAvailable");
	expect_count_of("summary lines", strbuf_cstr(&eom_log), " summary ", 1);
	expect_count_of("summary", strbuf_cstr(&eom_log), " decision=tempfail reply=\"451 4.3.0", 1);
	expect_count_of("log", strbuf_cstr(&eom_log), "cannot change header X-SES-Tag", 1);
	expect_count_of("accepted events", read_events(), "\"accepted\"", 0);
	expect_count_of("rejected events", read_events(), "\"rejected\"", 2);
	if (day_count(f, STATS_ACCEPTED) != 0)
		fail_msg("accepted counter: got %llu, want 0",
			 (unsigned long long)day_count(f, STATS_ACCEPTED));
	strbuf_free(&mta.calls);
}

static void retry_after_refused_edit_is_counted_once(void **state)
{
	struct fixture *f = *state;
	struct fake_mta bad = { "del_header", STRBUF_INIT }, good = { NULL, STRBUF_INIT };

	/* room for exactly one try: a second count of the same message is refused */
	f->snap->accounts->accounts[0]->limits.daily_quota = 2;
	f->snap->accounts->accounts[0]->limits.sends_per_second = 2;
	fx_time_us = (fx_time_us / 1000000) * 1000000;
	eom_begin(f, false);
	eom_content(f);
	expect_action(eom_run(f, &bad), POLICY_TEMPFAIL);
	eom_again(f);
	eom_content(f);
	expect_action(eom_run(f, &good), POLICY_ACCEPT);
	expect_count_of("accepted events", read_events(), "\"accepted\"", 2);
	if (day_count(f, STATS_ACCEPTED) != 2)
		fail_msg("accepted counter: got %llu, want 2",
			 (unsigned long long)day_count(f, STATS_ACCEPTED));
	expect_count_of("summary lines", strbuf_cstr(&eom_log), " summary ", 2);
	strbuf_free(&bad.calls);
	strbuf_free(&good.calls);
}

static void eom_alone_logs_and_counts_nothing(void **state)
{
	struct fixture *f = *state;

	eom_begin(f, false);
	eom_content(f);
	expect_action(policy_eom(f->msg, &f->d), POLICY_ACCEPT);
	expect_count_of("summary lines before finish", strbuf_cstr(&eom_log), " summary ", 0);
	expect_count_of("events before finish", read_events(), "\"type\"", 0);
	policy_msg_free(f->msg);	/* freeing does no I/O either */
	f->msg = NULL;
	expect_count_of("summary lines after free", strbuf_cstr(&eom_log), " summary ", 0);
	expect_count_of("events after free", read_events(), "\"type\"", 0);
}

static void finish_then_abort_logs_once(void **state)
{
	struct fixture *f = *state;
	struct fake_mta mta = { NULL, STRBUF_INIT };

	eom_begin(f, false);
	eom_content(f);
	expect_action(eom_run(f, &mta), POLICY_ACCEPT);
	policy_msg_abort(f->msg);
	expect_action(policy_finish(f->msg, false, &f->d), POLICY_ACCEPT);	/* only repeats */
	expect_count_of("summary lines", strbuf_cstr(&eom_log), " summary ", 1);
	expect_count_of("accepted events", read_events(), "\"accepted\"", 2);
	strbuf_free(&mta.calls);
}

static void local_plan_deletes_refused_then_edits_headers(void **state)
{
	struct fixture *f = *state;
	struct fake_mta mta = { NULL, STRBUF_INIT };

	eom_begin(f, true);
	f->msg->limits.max_recipients = 1;
	expect_action(policy_rcpt(f->msg, "<a@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(fx_headers(f, "Subject", "hello", "X-SES-Tag", "t1", NULL),
		      POLICY_CONTINUE);
	expect_action(eom_run(f, &mta), POLICY_ACCEPT);
	assert_string_equal(strbuf_cstr(&mta.calls), "del_header X-SES-Tag\n");
	strbuf_free(&mta.calls);
}

static void held_message_the_mta_will_not_quarantine_is_deferred(void **state)
{
	struct fixture *f = *state;
	struct fake_mta mta = { "quarantine", STRBUF_INIT };

	f->snap->conf->over_quota = CONFIG_QUOTA_HOLD;
	f->snap->accounts->accounts[0]->limits.daily_quota = 1;
	eom_begin(f, false);
	eom_content(f);		/* the second recipient is over quota: hold */
	expect_action(eom_run(f, &mta), POLICY_TEMPFAIL);
	expect_count_of("MTA calls", strbuf_cstr(&mta.calls), "quarantine ", 1);
	expect_count_of("summary", strbuf_cstr(&eom_log), " decision=tempfail ", 1);
	strbuf_free(&mta.calls);
}

static void refused_message_plans_nothing(void **state)
{
	struct fixture *f = *state;
	const struct policy_plan *p;

	eom_begin(f, false);
	expect_action(policy_rcpt(f->msg, "<a@example.net>", &f->d), POLICY_CONTINUE);
	f->msg->content.attachments = 0;
	f->msg->limits.max_attachments = -1;
	expect_action(fx_headers(f, "Subject", "hello", NULL), POLICY_CONTINUE);
	f->msg->limits.max_message_size = 1;	/* the size rule refuses at end */
	policy_eom(f->msg, &f->d);
	p = policy_msg_plan(f->msg);
	if (!decision_is_refusal(&f->d))
		skip();
	assert_int_equal(p->nhdrs + p->ndelete + p->nnotify, 0);
	assert_null(p->new_sender);
	assert_null(p->quarantine);
}

#define T(name) cmocka_unit_test_setup_teardown(name, eom_setup, eom_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(refused_edit_gives_451_and_everything_says_tempfail),
		T(retry_after_refused_edit_is_counted_once),
		T(eom_alone_logs_and_counts_nothing),
		T(finish_then_abort_logs_once),
		T(local_plan_deletes_refused_then_edits_headers),
		T(held_message_the_mta_will_not_quarantine_is_deferred),
		T(refused_message_plans_nothing),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
