/*
 * test_track_token - unit tests for policy/feedback/track_token.c and the
 * compact seal (policy/util/mac_seal64.c): open and click tokens round
 * trip, stay base64url, verify after a key rotation with the old key
 * held, and refuse forged, altered, cross-kind and oversized input; the
 * machine test of track_note.c and the extra keys of open/click events.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mac.h"
#include "strbuf.h"
#include "events.h"
#include "track_note.h"
#include "track_token.h"
#include "tokenfix.h"

static const char url_with_query[] = "https://shop.example.com/a/b?x=1&y=%20z#frag";

/* A click token for url (open when url is NULL) under key; caller frees out. */
static void make_token(const struct mac_key *key, const char *url, struct strbuf *out)
{
	struct strbuf err = STRBUF_INIT;
	struct track_info in;

	assert_int_equal(track_info_set(&in, url ? TRACK_CLICK : TRACK_OPEN, "4Xyz0abc",
					"Bob@Example.ORG", "acme", "Example.COM", 7, 1700000000,
					url, &err), 0);
	assert_int_equal(track_make(key, &in, out, &err), 0);
	strbuf_free(&err);
}

static void click_token_round_trips_url_exactly(void **state)
{
	struct mac_key k = test_key(1);
	const struct mac_key *keys[] = { &k };
	struct strbuf tok = STRBUF_INIT;
	struct track_info info;
	size_t i;

	(void)state;
	make_token(&k, url_with_query, &tok);
	for (i = 0; i < tok.len; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", tok.data[i]));
	assert_int_equal(track_verify(keys, 1, tok.data, tok.len, &info), TRACK_OK);
	assert_int_equal(info.kind, TRACK_CLICK);
	assert_string_equal(info.url, url_with_query);
	assert_string_equal(info.msgid, "4Xyz0abc");
	assert_string_equal(info.rcpt, "bob@example.org");
	assert_string_equal(info.domain, "example.com");
	assert_string_equal(info.account, "acme");
	assert_int_equal(info.template_id, 7);
	assert_int_equal(info.sent, 1700000000);
	strbuf_free(&tok);
}

static void open_token_round_trips_and_is_short(void **state)
{
	struct mac_key k = test_key(2);
	const struct mac_key *keys[] = { &k };
	struct strbuf tok = STRBUF_INIT;
	struct track_info info;

	(void)state;
	make_token(&k, NULL, &tok);
	assert_true(tok.len < 120);
	assert_int_equal(track_verify(keys, 1, tok.data, tok.len, &info), TRACK_OK);
	assert_int_equal(info.kind, TRACK_OPEN);
	assert_string_equal(info.url, "");
	strbuf_free(&tok);
}

static void token_refuses_every_one_character_change(void **state)
{
	struct mac_key k = test_key(3);
	const struct mac_key *keys[] = { &k };
	struct strbuf tok = STRBUF_INIT;
	struct track_info info;
	size_t i;

	(void)state;
	make_token(&k, url_with_query, &tok);
	for (i = 0; i < tok.len; i++) {
		char saved = tok.data[i];

		tok.data[i] = saved == 'A' ? 'B' : 'A';
		assert_int_not_equal(track_verify(keys, 1, tok.data, tok.len, &info), TRACK_OK);
		tok.data[i] = saved;
	}
	assert_int_not_equal(track_verify(keys, 1, tok.data, tok.len - 1, &info), TRACK_OK);
	strbuf_free(&tok);
}

static void token_of_another_key_is_forged(void **state)
{
	struct mac_key k = test_key(4), other = test_key(5);
	const struct mac_key *keys[] = { &other };
	struct strbuf tok = STRBUF_INIT;
	struct track_info info;

	(void)state;
	make_token(&k, url_with_query, &tok);
	assert_int_equal(track_verify(keys, 1, tok.data, tok.len, &info), TRACK_FORGED);
	assert_string_equal(info.url, "");
	strbuf_free(&tok);
}

static void token_verifies_after_rotation_with_old_key_held(void **state)
{
	struct mac_key old = test_key(6), cur = test_key(7);
	const struct mac_key *keys[] = { &cur, &old };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct track_info info;

	(void)state;
	make_token(&old, url_with_query, &a);
	make_token(&cur, url_with_query, &b);
	assert_int_equal(track_verify(keys, 2, a.data, a.len, &info), TRACK_OK);
	assert_int_equal(track_verify(keys, 2, b.data, b.len, &info), TRACK_OK);
	assert_int_equal(track_verify(keys, 1, a.data, a.len, &info), TRACK_FORGED);
	strbuf_free(&a);
	strbuf_free(&b);
}

static void token_refuses_bad_urls(void **state)
{
	static const char *const bad[] = { "/relative", "javascript:alert(1)", "http://",
					   "https://a b", "https://a\r\nSet-Cookie:x",
					   "ftp://example.com/", "http:///path" };
	struct strbuf err = STRBUF_INIT;
	struct track_info in;
	char *long_url = malloc(TRACK_URL_MAX + 2);
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(track_info_set(&in, TRACK_CLICK, "m1", "a@b.example",
						NULL, "b.example", 1, 1, bad[i], &err), -1);
	memcpy(long_url, "https://example.com/", 20);
	memset(long_url + 20, 'a', TRACK_URL_MAX + 1 - 20);
	long_url[TRACK_URL_MAX + 1] = '\0';
	assert_int_equal(track_info_set(&in, TRACK_CLICK, "m1", "a@b.example", NULL,
					"b.example", 1, 1, long_url, &err), -1);
	long_url[TRACK_URL_MAX] = '\0';
	assert_int_equal(track_info_set(&in, TRACK_CLICK, "m1", "a@b.example", NULL,
					"b.example", 1, 1, long_url, &err), 0);
	free(long_url);
	strbuf_free(&err);
}

static void garbage_is_malformed_not_a_crash(void **state)
{
	static const char *const junk[] = { "", "a", "!!!!", "AAAA", "AAAAA",
					    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	struct mac_key k = test_key(8);
	const struct mac_key *keys[] = { &k };
	struct track_info info;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(junk); i++)
		assert_int_not_equal(track_verify(keys, 1, junk[i], strlen(junk[i]), &info),
				     TRACK_OK);
}

static void base64url_round_trips_every_length(void **state)
{
	unsigned char data[40];
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 37 + 250);
	for (n = 0; n <= sizeof data; n++) {
		strbuf_reset(&enc);
		strbuf_reset(&dec);
		mac_base64url_encode(data, n, &enc);
		assert_int_equal(mac_base64url_decode(enc.data, enc.len, &dec), 0);
		assert_int_equal(dec.len, n);
		assert_memory_equal(dec.data, data, n);
	}
	assert_int_equal(mac_base64url_decode("AB", 2, &dec), -1); /* stray bits */
	strbuf_free(&enc);
	strbuf_free(&dec);
}

static void machines_are_told_apart(void **state)
{
	static const char chrome[] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
				     "(KHTML, like Gecko) Chrome/120.0 Safari/537.36";

	(void)state;
	assert_false(track_is_machine(false, chrome, 1000, 2000, 30));
	assert_true(track_is_machine(true, chrome, 1000, 2000, 30));	/* HEAD */
	assert_true(track_is_machine(false, "", 1000, 2000, 30));
	assert_true(track_is_machine(false, "Mozilla/5.0", 1000, 2000, 30));	/* Apple MPP */
	assert_true(track_is_machine(false, chrome, 1000, 1010, 30));	/* on arrival */
	assert_false(track_is_machine(false, chrome, 1000, 1010, 0));
	assert_true(track_is_machine(false, "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko "
					    "Firefox/11.0 (via ggpht.com GoogleImageProxy)",
				     1000, 2000, 30));
	assert_true(track_is_machine(false, "YahooMailProxy; https://help.yahoo.com", 1000, 2000,
				     30));
	assert_true(track_is_machine(false, "Mozilla/5.0 (compatible; BingPreview/1.0b)", 1000,
				     2000, 30));
}

static void open_and_click_events_carry_the_request(void **state)
{
	struct strbuf json = STRBUF_INIT;
	struct event ev;

	(void)state;
	memset(&ev, 0, sizeof ev);
	ev.type = EVENT_CLICK;
	ev.url = "https://x.example/?a=1";
	ev.user_agent = "UA";
	ev.client = "192.0.2.1";
	ev.machine = true;
	event_to_json(&ev, &json);
	assert_non_null(strstr(json.data, "\"account\":\"\",\"url\":\"https://x.example/?a=1\","
					  "\"userAgent\":\"UA\",\"ip\":\"192.0.2.1\","
					  "\"machine\":true}"));
	strbuf_reset(&json);
	ev.type = EVENT_ACCEPTED;
	event_to_json(&ev, &json);
	assert_null(strstr(json.data, "\"url\""));
	assert_null(strstr(json.data, "\"machine\""));
	strbuf_free(&json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(click_token_round_trips_url_exactly),
		cmocka_unit_test(open_token_round_trips_and_is_short),
		cmocka_unit_test(token_refuses_every_one_character_change),
		cmocka_unit_test(token_of_another_key_is_forged),
		cmocka_unit_test(token_verifies_after_rotation_with_old_key_held),
		cmocka_unit_test(token_refuses_bad_urls),
		cmocka_unit_test(garbage_is_malformed_not_a_crash),
		cmocka_unit_test(base64url_round_trips_every_length),
		cmocka_unit_test(machines_are_told_apart),
		cmocka_unit_test(open_and_click_events_carry_the_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
