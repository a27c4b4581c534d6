/*
 * test_track_rule - open and click tracking through the engine: a
 * template message from an account with Tracking gets a pixel and sealed
 * links naming its queue ID, recipient, template and account; the
 * message's X-SES-Tracking: 0, several recipients, an account without
 * Tracking or an unset TrackingUrl leave it untracked (data-ses-track
 * attributes still removed).  Custom content from such an account gets
 * its HTML part tracked in its own MIME (template 0), the rest kept; a
 * message GMime cannot parse, or too big once tracked, goes untracked.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "account.h"
#include "mime_count.h"
#include "policy_msg.h"
#include "rulefix.h"
#include "snapshot.h"
#include "template.h"
#include "track_token.h"

#define HTML "<html><body><p>Hi {{name}}</p><a href=\"https://shop.example/p?a=1&amp;b=2\">" \
	     "Shop</a><a data-ses-track=\"off\" href=\"https://shop.example/x\">X</a>" \
	     "</body></html>"

static struct account *news_account(struct fixture *f)
{
	return f->snap->accounts->accounts[2];
}

static int track_setup(void **state)
{
	struct fixture *f;
	struct tmpl_db *db;
	struct tmpl *t;

	fx_setup(state);
	f = *state;
	db = f->snap->templates;
	t = calloc(1, sizeof *t);
	t->id = 9;
	t->account = strdup("news");
	t->name = strdup("offer");
	t->type = TMPL_TRANSACTIONAL;
	t->status = TMPL_APPROVED;
	t->reason = strdup("");
	t->text = strdup("Hi {{name}} https://shop.example/p");
	t->html = strdup(HTML);
	t->nvars = tmpl_collect_vars(t->text, &t->vars);
	db->v = realloc(db->v, (db->n + 1) * sizeof *db->v);
	db->v[db->n++] = t;
	f->snap->feedback_key = calloc(1, sizeof *f->snap->feedback_key);
	memset(f->snap->feedback_key, 0x5a, sizeof *f->snap->feedback_key);
	free(f->snap->conf->tracking_url);
	f->snap->conf->tracking_url = strdup("https://t.%d/");
	news_account(f)->tracking = ACCOUNT_TRACK_OPEN | ACCOUNT_TRACK_CLICK;
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "app.news.example", "198.18.0.7", 40000);
	return 0;
}

/* Sends template 9 to the recipients (NULL-terminated) with header (may be NULL). */
static void send_to(struct fixture *f, const char *header, const char *value, ...)
{
	const char *rcpt;
	va_list ap;

	expect_action(policy_mail(f->msg, "<news@news.example>", NULL, &f->d), POLICY_CONTINUE);
	va_start(ap, value);
	while ((rcpt = va_arg(ap, const char *)) != NULL)
		expect_action(policy_rcpt(f->msg, rcpt, &f->d), POLICY_CONTINUE);
	va_end(ap);
	policy_msg_set_queue_id(f->msg, "4Qz7TRK");
	expect_action(policy_header(f->msg, "Subject", "Offer", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "X-SES-Template", "9", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "X-SES-Template-Data", "{\"name\":\"Ann\"}", &f->d),
		      POLICY_CONTINUE);
	if (header != NULL)
		expect_action(policy_header(f->msg, header, value, &f->d), POLICY_CONTINUE);
	expect_action(policy_eoh(f->msg, &f->d), POLICY_CONTINUE);
	expect_action(policy_eom(f->msg, &f->d), POLICY_ACCEPT);
}

/* The planned body with quoted-printable undone (soft breaks, =XX). */
static char *plain_body(const struct fixture *f)
{
	const char *p = strbuf_cstr(&f->msg->edits.body);
	struct strbuf out = STRBUF_INIT;
	unsigned v;

	for (; *p != '\0'; p++) {
		if (strncmp(p, "=\r\n", 3) == 0)
			p += 2;
		else if (p[0] == '=' && sscanf(p + 1, "%2X", &v) == 1 && p[1] && p[2])
			strbuf_appendc(&out, (char)v), p += 2;
		else
			strbuf_appendc(&out, *p);
	}
	return strbuf_detach(&out);
}

/* Verifies the token after "https://t.news.example/K/" in body into info. */
static void token_after(const struct fixture *f, const char *body, char kind,
			struct track_info *info)
{
	const struct mac_key *keys[] = { f->snap->feedback_key };
	char prefix[64];
	const char *p;
	size_t n;

	snprintf(prefix, sizeof prefix, "https://t.news.example/%c/", kind);
	p = strstr(body, prefix);
	if (p == NULL)
		fail_msg("body: got no %s link, want one", prefix);
	p += strlen(prefix);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	assert_int_equal(track_verify(keys, 1, p, n, info), TRACK_OK);
}

static void tracked_template_has_pixel_and_sealed_link(void **state)
{
	struct fixture *f = *state;
	struct track_info info;
	char *body;

	send_to(f, NULL, NULL, "<Reader@Example.NET>", NULL);
	body = plain_body(f);
	token_after(f, body, 'o', &info);
	assert_int_equal(info.kind, TRACK_OPEN);
	assert_string_equal(info.msgid, "4Qz7TRK");
	assert_string_equal(info.rcpt, "reader@example.net");
	assert_string_equal(info.account, "news");
	assert_string_equal(info.domain, "news.example");
	assert_int_equal(info.template_id, 9);
	token_after(f, body, 'c', &info);
	assert_string_equal(info.url, "https://shop.example/p?a=1&b=2");
	assert_non_null(strstr(body, "<a href=\"https://shop.example/x\">X</a>"));
	assert_null(strstr(body, "data-ses-track"));
	assert_non_null(strstr(body, "Hi Ann https://shop.example/p")); /* text part as it was */
	free(body);
}

/* Asserts the body has no tracking link and no data-ses-track attribute. */
static void expect_untracked(const struct fixture *f)
{
	char *body = plain_body(f);

	assert_null(strstr(body, "https://t.news.example/"));
	assert_null(strstr(body, "data-ses-track"));
	assert_non_null(strstr(body, "<a href=\"https://shop.example/p?a=1&amp;b=2\">Shop</a>"));
	free(body);
}

static void x_ses_tracking_0_leaves_the_message_untracked(void **state)
{
	struct fixture *f = *state;

	send_to(f, "X-SES-Tracking", "0", "<reader@example.net>", NULL);
	expect_untracked(f);
}

static void message_to_several_recipients_is_untracked(void **state)
{
	struct fixture *f = *state;

	send_to(f, NULL, NULL, "<a@example.net>", "<b@example.net>", NULL);
	expect_untracked(f);
}

static void account_without_tracking_is_untracked(void **state)
{
	struct fixture *f = *state;

	news_account(f)->tracking = 0;
	send_to(f, NULL, NULL, "<reader@example.net>", NULL);
	expect_untracked(f);
}

static void no_tracking_url_means_no_tracking(void **state)
{
	struct fixture *f = *state;

	f->snap->conf->tracking_url[0] = '\0';
	send_to(f, NULL, NULL, "<reader@example.net>", NULL);
	expect_untracked(f);
}

static void open_only_adds_the_pixel_and_keeps_links(void **state)
{
	struct fixture *f = *state;
	struct track_info info;
	char *body;

	news_account(f)->tracking = ACCOUNT_TRACK_OPEN;
	send_to(f, NULL, NULL, "<reader@example.net>", NULL);
	body = plain_body(f);
	token_after(f, body, 'o', &info);
	assert_null(strstr(body, "https://t.news.example/c/"));
	free(body);
}

/* ---- custom content -------------------------------------------------------- */

#define CUSTOM_TEXT "--b1\r\nContent-Type: text/plain\r\n\r\nsee https://shop.example/p\r\n"
#define CUSTOM_BODY CUSTOM_TEXT \
	"--b1\r\nContent-Type: text/html; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n" \
	"<html><body><a href=3D\"https://shop.example/p?a=3D1\">Shop</a></body></html>\r\n" \
	"--b1--\r\n"

/* Sends a custom-content message (body with headers Content-Type ctype) to reader@. */
static enum policy_action send_custom(struct fixture *f, const char *ctype, const char *body)
{
	news_account(f)->custom_content = true;
	expect_action(policy_mail(f->msg, "<news@news.example>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<reader@example.net>", &f->d), POLICY_CONTINUE);
	policy_msg_set_queue_id(f->msg, "4Qz7CUS");
	expect_action(policy_header(f->msg, "Subject", "Sale", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "MIME-Version", "1.0", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "Content-Type", ctype, &f->d), POLICY_CONTINUE);
	expect_action(policy_eoh(f->msg, &f->d), POLICY_CONTINUE);
	expect_action(policy_body(f->msg, (const unsigned char *)body, strlen(body), &f->d),
		      POLICY_CONTINUE);
	return policy_eom(f->msg, &f->d);
}

static void custom_content_html_part_is_tracked(void **state)
{
	struct fixture *f = *state;
	struct track_info info;
	char *body;

	expect_action(send_custom(f, "multipart/alternative; boundary=b1", CUSTOM_BODY),
		      POLICY_ACCEPT);
	assert_true(f->msg->edits.replace_body);
	/* the text part and everything before the HTML part, byte for byte */
	assert_memory_equal(f->msg->edits.body.data, CUSTOM_TEXT, strlen(CUSTOM_TEXT));
	body = plain_body(f);
	token_after(f, body, 'o', &info);
	assert_int_equal(info.template_id, 0);
	assert_string_equal(info.msgid, "4Qz7CUS");
	token_after(f, body, 'c', &info);
	assert_string_equal(info.url, "https://shop.example/p?a=1");
	free(body);
}

static void custom_content_with_x_ses_tracking_0_is_kept(void **state)
{
	struct fixture *f = *state;

	news_account(f)->custom_content = true;
	expect_action(policy_mail(f->msg, "<news@news.example>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<reader@example.net>", &f->d), POLICY_CONTINUE);
	policy_msg_set_queue_id(f->msg, "4Qz7CUS");
	expect_action(policy_header(f->msg, "Subject", "Sale", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "X-SES-Tracking", "0", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "Content-Type", "multipart/alternative; boundary=b1",
				    &f->d), POLICY_CONTINUE);
	expect_action(policy_eoh(f->msg, &f->d), POLICY_CONTINUE);
	expect_action(policy_body(f->msg, (const unsigned char *)CUSTOM_BODY,
				  strlen(CUSTOM_BODY), &f->d), POLICY_CONTINUE);
	expect_action(policy_eom(f->msg, &f->d), POLICY_ACCEPT);
	assert_false(f->msg->edits.replace_body);
}

static void custom_content_too_big_once_tracked_goes_untracked(void **state)
{
	struct fixture *f = *state;

	news_account(f)->limits.max_message_size = 420;
	expect_action(send_custom(f, "multipart/alternative; boundary=b1", CUSTOM_BODY),
		      POLICY_ACCEPT);
	assert_false(f->msg->edits.replace_body);
}

static void custom_content_long_html_line_sets_the_message_cte(void **state)
{
	struct fixture *f = *state;
	struct strbuf body = STRBUF_INIT;
	size_t i;
	int seen = 0;

	strbuf_appends(&body, "<html><body>");
	for (i = 0; i < 12; i++)
		strbuf_appendf(&body, "<a href=\"https://shop.example/%zu\">%zu</a>", i, i);
	strbuf_appends(&body, "</body></html>\r\n");
	expect_action(send_custom(f, "text/html", body.data), POLICY_ACCEPT);
	assert_true(f->msg->edits.replace_body);
	for (i = 0; i < f->msg->edits.nhdrs; i++)
		if (strcasecmp(f->msg->edits.hdrs[i].name, "Content-Transfer-Encoding") == 0 &&
		    f->msg->edits.hdrs[i].value != NULL &&
		    strcmp(f->msg->edits.hdrs[i].value, "quoted-printable") == 0)
			seen++;
	assert_int_equal(seen, 1);
	strbuf_free(&body);
}

#define T(name) cmocka_unit_test_setup_teardown(name, track_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(tracked_template_has_pixel_and_sealed_link),
		T(x_ses_tracking_0_leaves_the_message_untracked),
		T(message_to_several_recipients_is_untracked),
		T(account_without_tracking_is_untracked),
		T(no_tracking_url_means_no_tracking),
		T(open_only_adds_the_pixel_and_keeps_links),
		T(custom_content_html_part_is_tracked),
		T(custom_content_with_x_ses_tracking_0_is_kept),
		T(custom_content_too_big_once_tracked_goes_untracked),
		T(custom_content_long_html_line_sets_the_message_cte),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
