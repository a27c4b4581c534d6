/*
 * test_rfc2047 - unit tests for policy/util/rfc2047.c (strict Subject decoding).
 *
 * Most cases are table rows named after the behaviour they pin down; main()
 * turns every row into its own cmocka test, so a failure names the row.
 * The rest cover size (100 KB values, thousands of encoded-words),
 * character counting at the 998/999 boundary, threads and random input.
 *
 * Diagnostics: a failing case prints "got X, want Y" with non-ASCII bytes
 * shown as \xNN.
 */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfc2047.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, NUL bytes included. */
#define IN(s) s, sizeof(s) - 1
#define NO_COUNT ((size_t)-1)

struct decode_case {
	const char *name;
	const char *in;
	size_t len;
	enum rfc2047_status want;
	const char *out;	/* expected UTF-8 when want is RFC2047_OK */
};

struct utf8_case {
	const char *name;
	const char *in;
	size_t len;
	bool valid;
	size_t chars;		/* NO_COUNT when invalid */
};

struct unfold_case {
	const char *name;
	const char *in;
	size_t len;
	const char *out;
};

static const struct decode_case decode_cases[] = {
	/* plain and raw UTF-8 text */
	{ "decodes_empty_value", IN(""), RFC2047_OK, "" },
	{ "keeps_plain_ascii", IN("Hello, world"), RFC2047_OK, "Hello, world" },
	{ "keeps_raw_utf8", IN("Grüße 你好 😀"), RFC2047_OK, "Grüße 你好 😀" },
	{ "keeps_text_that_only_looks_encoded", IN("a = b? c ?= d"), RFC2047_OK,
	  "a = b? c ?= d" },

	/* B and Q in UTF-8 */
	{ "decodes_base64_utf8_word", IN("=?utf-8?B?5L2g5aW9?="), RFC2047_OK, "你好" },
	{ "decodes_q_utf8_word", IN("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="), RFC2047_OK, "Grüße" },
	{ "decodes_lowercase_b_and_q", IN("=?utf-8?b?5L2g?= =?utf-8?q?=E5=A5=BD?="),
	  RFC2047_OK, "你好" },
	{ "decodes_q_underscore_as_space", IN("=?utf-8?Q?hello_world?="), RFC2047_OK,
	  "hello world" },
	{ "decodes_q_lowercase_hex", IN("=?utf-8?Q?caf=c3=a9?="), RFC2047_OK, "café" },
	{ "keeps_q_literal_characters", IN("=?utf-8?Q?a+b=3Dc!?="), RFC2047_OK, "a+b=c!" },
	{ "decodes_mixed_case_charset", IN("=?Utf-8?B?5L2g?="), RFC2047_OK, "你" },
	{ "ignores_rfc2231_language_suffix", IN("=?utf-8*zh-CN?B?5L2g?="), RFC2047_OK, "你" },
	{ "decodes_base64_with_each_padding", IN("=?utf-8?B?YQ==?= =?utf-8?B?YWI=?= =?utf-8?B?YWJj?="),
	  RFC2047_OK, "aababc" },
	{ "decodes_us_ascii_word", IN("=?us-ascii?Q?plain?="), RFC2047_OK, "plain" },
	{ "decodes_word_followed_by_stray_terminator", IN("=?utf-8?Q?a?=?="), RFC2047_OK, "a?=" },
	{ "decodes_word_after_stray_equals", IN("==?utf-8?Q?a?="), RFC2047_OK, "=a" },

	/* other charsets, through iconv */
	{ "decodes_iso_8859_1", IN("=?iso-8859-1?Q?caf=E9?="), RFC2047_OK, "café" },
	{ "decodes_windows_1252_euro", IN("=?windows-1252?Q?=80_5?="), RFC2047_OK, "€ 5" },
	{ "decodes_gb2312", IN("=?gb2312?B?xOO6ww==?="), RFC2047_OK, "你好" },
	{ "decodes_gbk_only_character", IN("=?gbk?B?6UY=?="), RFC2047_OK, "镕" },
	{ "decodes_gb18030", IN("=?GB18030?B?xOO6ww==?="), RFC2047_OK, "你好" },
	{ "decodes_big5", IN("=?big5?B?pKSk5Q==?="), RFC2047_OK, "中文" },
	{ "decodes_shift_jis", IN("=?shift_jis?B?k/qWe4zq?="), RFC2047_OK, "日本語" },
	{ "decodes_iso_2022_jp", IN("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?="), RFC2047_OK, "日本語" },
	{ "decodes_koi8_r", IN("=?koi8-r?B?8NLJ18XU?="), RFC2047_OK, "Привет" },
	{ "decodes_utf16be", IN("=?utf-16be?B?AEE=?="), RFC2047_OK, "A" },

	/* white space (RFC 2047 section 6.2) */
	{ "drops_space_between_adjacent_words", IN("=?utf-8?Q?a?= =?utf-8?Q?b?="),
	  RFC2047_OK, "ab" },
	{ "drops_tabs_and_spaces_between_words", IN("=?utf-8?Q?a?= \t  =?utf-8?Q?b?="),
	  RFC2047_OK, "ab" },
	{ "drops_space_between_words_in_different_charsets",
	  IN("=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?="), RFC2047_OK, "éé" },
	{ "keeps_space_between_word_and_text", IN("Re: =?utf-8?Q?caf=C3=A9?= ok"),
	  RFC2047_OK, "Re: café ok" },
	{ "keeps_encoded_space_between_words", IN("=?utf-8?Q?a_?= =?utf-8?Q?b?="),
	  RFC2047_OK, "a b" },
	{ "keeps_leading_and_trailing_space", IN("  =?utf-8?Q?x?=  "), RFC2047_OK, "  x  " },
	{ "decodes_words_without_separating_space", IN("=?utf-8?Q?a?==?utf-8?Q?b?="),
	  RFC2047_OK, "ab" },
	{ "decodes_word_glued_to_text", IN("Re:=?utf-8?Q?x?=!"), RFC2047_OK, "Re:x!" },
	{ "keeps_space_after_malformed_word", IN("=?bad =?utf-8?Q?x?="), RFC2047_OK,
	  "=?bad x" },
	{ "decodes_raw_utf8_between_words", IN("=?utf-8?Q?a?= ü =?utf-8?Q?b?="),
	  RFC2047_OK, "a ü b" },

	/* a character split between adjacent words */
	{ "joins_utf8_character_split_across_words", IN("=?utf-8?B?5L0=?= =?utf-8?B?oA==?="),
	  RFC2047_OK, "你" },
	{ "joins_gb2312_character_split_across_words", IN("=?gb2312?B?xA==?= =?gb2312?B?4w==?="),
	  RFC2047_OK, "你" },
	{ "joins_split_character_across_b_and_q_words", IN("=?utf-8?B?5L0=?= =?utf-8?Q?=A0?="),
	  RFC2047_OK, "你" },
	{ "joins_split_character_across_charset_case", IN("=?UTF-8?Q?=E4=BD?= =?utf-8?Q?=A0?="),
	  RFC2047_OK, "你" },
	{ "joins_split_shift_jis_across_words", IN("=?shift_jis?Q?=93?= =?shift_jis?Q?=FA?="),
	  RFC2047_OK, "日" },
	{ "rejects_split_character_with_text_between", IN("=?utf-8?Q?=E4=BD?= x =?utf-8?Q?=A0?="),
	  RFC2047_BAD_DECODED, NULL },
	{ "rejects_split_character_across_charsets", IN("=?utf-8?Q?=E4=BD?= =?utf8?Q?=A0?="),
	  RFC2047_BAD_DECODED, NULL },

	/* malformed encoded-words stay literal (RFC 2047 section 6.3) */
	{ "keeps_lone_opener_literally", IN("=?"), RFC2047_OK, "=?" },
	{ "keeps_opener_at_end_literally", IN("subject =?"), RFC2047_OK, "subject =?" },
	{ "keeps_unterminated_word_literally", IN("=?utf-8?B?"), RFC2047_OK, "=?utf-8?B?" },
	{ "keeps_word_missing_terminator_literally", IN("=?utf-8?B?5L2g"), RFC2047_OK,
	  "=?utf-8?B?5L2g" },
	{ "keeps_word_with_half_terminator_literally", IN("=?utf-8?B?5L2g?"), RFC2047_OK,
	  "=?utf-8?B?5L2g?" },
	{ "keeps_unknown_encoding_letter_literally", IN("=?utf-8?X?abc?="), RFC2047_OK,
	  "=?utf-8?X?abc?=" },
	{ "keeps_two_letter_encoding_literally", IN("=?utf-8?BB?YQ==?="), RFC2047_OK,
	  "=?utf-8?BB?YQ==?=" },
	{ "keeps_word_with_space_inside_literally", IN("=?utf-8?Q?a b?="), RFC2047_OK,
	  "=?utf-8?Q?a b?=" },
	{ "keeps_word_without_charset_literally", IN("=??Q?a?="), RFC2047_OK, "=??Q?a?=" },
	{ "keeps_word_with_empty_text_literally", IN("=?utf-8?Q?\?="), RFC2047_OK, "=?utf-8?Q?\?=" },
	{ "keeps_word_with_extra_question_mark_literally", IN("=?utf-8?Q?a?b?="), RFC2047_OK,
	  "=?utf-8?Q?a?b?=" },
	{ "keeps_word_with_8bit_text_literally", IN("=?utf-8?Q?caf\xC3\xA9?="), RFC2047_OK,
	  "=?utf-8?Q?caf\xC3\xA9?=" },
	{ "keeps_iconv_suffix_in_charset_literally", IN("=?utf-8//IGNORE?Q?=FF?="), RFC2047_OK,
	  "=?utf-8//IGNORE?Q?=FF?=" },
	{ "keeps_charset_with_dot_literally", IN("=?ANSI_X3.4-1968?Q?a?="), RFC2047_OK,
	  "=?ANSI_X3.4-1968?Q?a?=" },
	{ "keeps_malformed_word_then_decodes_next", IN("=?utf-8?Z?x?= =?utf-8?Q?y?="),
	  RFC2047_OK, "=?utf-8?Z?x?= y" },

	/* charsets */
	{ "rejects_unknown_charset", IN("=?x-unknown?Q?a?="), RFC2047_BAD_CHARSET, NULL },
	{ "rejects_empty_charset_before_language", IN("=?*en?Q?a?="), RFC2047_BAD_CHARSET, NULL },
	{ "rejects_overlong_charset_name",
	  IN("=?x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?Q?a?="),
	  RFC2047_BAD_CHARSET, NULL },

	/* broken payloads */
	{ "rejects_base64_with_bad_length", IN("=?utf-8?B?5L2g5aW?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_base64_with_bad_character", IN("=?utf-8?B?5L2g*aW9?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_base64_with_inner_padding", IN("=?utf-8?B?YQ==YQ==?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_base64_without_padding", IN("=?utf-8?B?YQ?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_base64_with_three_pads", IN("=?utf-8?B?Y===?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_base64_of_only_padding", IN("=?utf-8?B?====?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_q_equals_without_hex", IN("=?utf-8?Q?=G1?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_q_equals_at_end", IN("=?utf-8?Q?abc=?="), RFC2047_BAD_ENCODING, NULL },
	{ "rejects_q_truncated_hex", IN("=?utf-8?Q?=4?="), RFC2047_BAD_ENCODING, NULL },

	/* bytes invalid in the declared charset */
	{ "rejects_0xff_in_utf8_word", IN("=?utf-8?B?/w==?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_truncated_utf8_in_word", IN("=?utf-8?Q?=E4=BD?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_surrogate_in_utf8_word", IN("=?utf-8?Q?=ED=A0=80?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_overlong_in_utf8_word", IN("=?utf-8?Q?=C0=AF?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_8bit_in_us_ascii_word", IN("=?us-ascii?Q?=E9?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_above_max_code_point_via_iconv_utf8", IN("=?utf8?Q?=F4=90=80=80?="),
	  RFC2047_BAD_DECODED, NULL },
	{ "rejects_undefined_windows_1252_byte", IN("=?windows-1252?Q?=81?="),
	  RFC2047_BAD_DECODED, NULL },
	{ "decodes_gbk_character_labelled_gb2312", IN("=?gb2312?B?6UY=?="), RFC2047_OK, "\xe9\x95\x95" },
	{ "decodes_cp932_character_labelled_shift_jis", IN("=?shift_jis?B?h0A=?="),
	  RFC2047_OK, "\xe2\x91\xa0" },
	{ "rejects_truncated_shift_jis", IN("=?shift_jis?Q?=93?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_truncated_big5", IN("=?big5?Q?=A4?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_8bit_in_iso_2022_jp", IN("=?iso-2022-jp?Q?a=E9?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_truncated_iso_2022_jp", IN("=?iso-2022-jp?B?GyRCRg==?="), RFC2047_BAD_DECODED, NULL },
	{ "rejects_odd_length_utf16", IN("=?utf-16be?B?AEEA?="), RFC2047_BAD_DECODED, NULL },

	/* raw bytes that are not UTF-8 */
	{ "rejects_raw_latin1_bytes", IN("caf\xE9"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_overlong", IN("\xC0\xAF"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_surrogate", IN("\xED\xA0\x80"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_f5_lead_byte", IN("\xF5\x80\x80\x80"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_above_max_code_point", IN("\xF4\x90\x80\x80"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_truncated_sequence_at_end", IN("abc\xE4\xBD"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_lone_continuation", IN("a\x80" "b"), RFC2047_BAD_RAW_UTF8, NULL },
	{ "rejects_raw_bytes_between_words", IN("=?utf-8?Q?a?= \xE9 =?utf-8?Q?b?="),
	  RFC2047_BAD_RAW_UTF8, NULL },
	{ "reports_first_problem_raw_before_charset", IN("caf\xE9 =?x-unknown?Q?a?="),
	  RFC2047_BAD_RAW_UTF8, NULL },
	{ "reports_first_problem_charset_before_raw", IN("=?x-unknown?Q?a?= caf\xE9"),
	  RFC2047_BAD_CHARSET, NULL },

	/* NUL */
	{ "rejects_raw_nul", IN("a\0b"), RFC2047_HAS_NUL, NULL },
	{ "rejects_nul_in_base64_word", IN("=?utf-8?B?AA==?="), RFC2047_HAS_NUL, NULL },
	{ "rejects_nul_in_q_word", IN("=?utf-8?Q?a=00b?="), RFC2047_HAS_NUL, NULL },
	{ "rejects_nul_in_iso_8859_1_word", IN("=?iso-8859-1?Q?=00?="), RFC2047_HAS_NUL, NULL },
	{ "rejects_nul_from_utf16_word", IN("=?utf-16be?B?AAA=?="), RFC2047_HAS_NUL, NULL },
};

static const struct utf8_case utf8_cases[] = {
	{ "utf8_accepts_empty", IN(""), true, 0 },
	{ "utf8_accepts_ascii", IN("abc"), true, 3 },
	{ "utf8_accepts_nul_as_a_character", IN("a\0b"), true, 3 },
	{ "utf8_accepts_two_byte", IN("é"), true, 1 },
	{ "utf8_accepts_three_byte", IN("你"), true, 1 },
	{ "utf8_accepts_four_byte", IN("😀"), true, 1 },
	{ "utf8_accepts_max_code_point", IN("\xF4\x8F\xBF\xBF"), true, 1 },
	{ "utf8_accepts_last_before_surrogates", IN("\xED\x9F\xBF"), true, 1 },
	{ "utf8_accepts_first_after_surrogates", IN("\xEE\x80\x80"), true, 1 },
	{ "counts_cjk_characters", IN("你好世界"), true, 4 },
	{ "counts_mixed_width_characters", IN("aé你😀"), true, 4 },
	{ "utf8_rejects_overlong_c0_af", IN("\xC0\xAF"), false, NO_COUNT },
	{ "utf8_rejects_overlong_c1", IN("\xC1\xBF"), false, NO_COUNT },
	{ "utf8_rejects_overlong_three_byte", IN("\xE0\x80\xAF"), false, NO_COUNT },
	{ "utf8_rejects_overlong_four_byte", IN("\xF0\x80\x80\xAF"), false, NO_COUNT },
	{ "utf8_rejects_first_surrogate", IN("\xED\xA0\x80"), false, NO_COUNT },
	{ "utf8_rejects_last_surrogate", IN("\xED\xBF\xBF"), false, NO_COUNT },
	{ "utf8_rejects_above_max_code_point", IN("\xF4\x90\x80\x80"), false, NO_COUNT },
	{ "utf8_rejects_f5_lead", IN("\xF5\x80\x80\x80"), false, NO_COUNT },
	{ "utf8_rejects_ff", IN("\xFF"), false, NO_COUNT },
	{ "utf8_rejects_truncated_two_byte", IN("a\xC3"), false, NO_COUNT },
	{ "utf8_rejects_truncated_three_byte", IN("a\xE4\xBD"), false, NO_COUNT },
	{ "utf8_rejects_truncated_four_byte", IN("a\xF0\x9F\x98"), false, NO_COUNT },
	{ "utf8_rejects_lone_continuation", IN("\x80"), false, NO_COUNT },
	{ "utf8_rejects_ascii_as_continuation", IN("\xE4\x41\x41"), false, NO_COUNT },
};

static const struct unfold_case unfold_cases[] = {
	{ "unfolds_empty_value", IN(""), "" },
	{ "unfolds_crlf_before_space", IN("Subject\r\n text"), "Subject text" },
	{ "unfolds_crlf_before_tab", IN("a\r\n\tb"), "a\tb" },
	{ "unfolds_bare_lf_before_tab", IN("a\n\tb"), "a\tb" },
	{ "unfolds_several_folds", IN("a\r\n b\n\tc\r\n  d"), "a b\tc  d" },
	{ "keeps_crlf_not_followed_by_space", IN("a\r\nb"), "a\r\nb" },
	{ "keeps_bare_cr_before_space", IN("a\r b"), "a\r b" },
	{ "keeps_space_of_fold_at_end", IN("a\r\n "), "a " },
	{ "drops_trailing_crlf", IN("a\r\n"), "a" },
	{ "drops_trailing_lf", IN("a\n"), "a" },
	{ "drops_trailing_cr", IN("a\r"), "a" },
	{ "unfolds_before_trailing_crlf", IN("a\r\n b\r\n"), "a b" },
};

/* The enum constant's name, for failure messages. */
static const char *status_name(enum rfc2047_status st)
{
	static const char *const names[] = {
		[RFC2047_OK] = "RFC2047_OK",
		[RFC2047_BAD_RAW_UTF8] = "RFC2047_BAD_RAW_UTF8",
		[RFC2047_BAD_CHARSET] = "RFC2047_BAD_CHARSET",
		[RFC2047_BAD_ENCODING] = "RFC2047_BAD_ENCODING",
		[RFC2047_BAD_DECODED] = "RFC2047_BAD_DECODED",
		[RFC2047_HAS_NUL] = "RFC2047_HAS_NUL",
	};

	if ((size_t)st >= ARRAY_SIZE(names))
		return "(out of range)";
	return names[st];
}

/* Quotes s[0..n) into sb, bytes outside printable ASCII as \xNN; returns it. */
static const char *show(struct strbuf *sb, const char *s, size_t n)
{
	size_t i, max = n > 160 ? 160 : n;
	unsigned char c;

	strbuf_appendc(sb, '"');
	for (i = 0; i < max; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			strbuf_appendc(sb, (char)c);
		else
			strbuf_appendf(sb, "\\x%02X", c);
	}
	strbuf_appendc(sb, '"');
	if (max < n)
		strbuf_appendf(sb, "... (%zu bytes)", n);
	return strbuf_cstr(sb);
}

/*
 * Decodes in and fails with "got X, want Y" unless status and output match.
 * The input is copied to a heap block of exactly len bytes, without a
 * terminator, so that AddressSanitizer and valgrind catch any over-read.
 */
static void expect_decode(const char *in, size_t len, enum rfc2047_status want,
			  const char *want_out, size_t want_len)
{
	struct strbuf out = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	struct strbuf c = STRBUF_INIT;
	enum rfc2047_status st;
	char *copy;
	bool bad;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, in, len);
	st = rfc2047_decode(copy, len, &out);
	free(copy);
	bad = st != want;
	if (want == RFC2047_OK && want_out != NULL)
		bad = bad || out.len != want_len ||
		      memcmp(strbuf_cstr(&out), want_out, want_len) != 0;
	if (bad) {
		print_message("decode %s: got %s %s, want %s %s\n",
			      show(&a, in, len), status_name(st),
			      show(&b, strbuf_cstr(&out), out.len),
			      status_name(want),
			      want_out != NULL ? show(&c, want_out, want_len) : "");
	}
	strbuf_free(&out);
	strbuf_free(&a);
	strbuf_free(&b);
	strbuf_free(&c);
	if (bad)
		fail();
}

/* Runs one decode_cases row (cmocka state). */
static void run_decode_case(void **state)
{
	const struct decode_case *tc = *state;

	expect_decode(tc->in, tc->len, tc->want, tc->out,
		      tc->out != NULL ? strlen(tc->out) : 0);
}

/* Runs one utf8_cases row: validity, then the count when valid. */
static void run_utf8_case(void **state)
{
	const struct utf8_case *tc = *state;
	bool valid = utf8_valid(tc->in, tc->len);
	size_t chars;

	if (valid != tc->valid) {
		print_message("utf8_valid: got %d, want %d\n", valid, tc->valid);
		fail();
	}
	if (tc->chars == NO_COUNT)
		return;
	chars = utf8_chars(tc->in, tc->len);
	if (chars != tc->chars) {
		print_message("utf8_chars: got %zu, want %zu\n", chars, tc->chars);
		fail();
	}
}

/* Runs one unfold_cases row. */
static void run_unfold_case(void **state)
{
	const struct unfold_case *tc = *state;
	struct strbuf out = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	bool bad;

	rfc2047_unfold(tc->in, tc->len, &out);
	bad = out.len != strlen(tc->out) ||
	      memcmp(strbuf_cstr(&out), tc->out, out.len) != 0;
	if (bad)
		print_message("unfold: got %s, want %s\n",
			      show(&a, strbuf_cstr(&out), out.len),
			      show(&b, tc->out, strlen(tc->out)));
	strbuf_free(&out);
	strbuf_free(&a);
	strbuf_free(&b);
	if (bad)
		fail();
}

/* Appends unit to sb until sb holds at least min bytes. */
static void repeat(struct strbuf *sb, const char *unit, size_t min)
{
	while (sb->len < min)
		strbuf_appends(sb, unit);
}

static void decodes_100kb_plain_text(void **state)
{
	struct strbuf in = STRBUF_INIT;

	(void)state;
	repeat(&in, "plain text ", 100 * 1024);
	expect_decode(in.data, in.len, RFC2047_OK, in.data, in.len);
	strbuf_free(&in);
}

static void decodes_thousands_of_adjacent_words(void **state)
{
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT;

	(void)state;
	while (in.len < 100 * 1024) {
		strbuf_appends(&in, in.len > 0 ? " =?utf-8?B?5L2g?=" : "=?utf-8?B?5L2g?=");
		strbuf_appends(&want, "你");
	}
	expect_decode(in.data, in.len, RFC2047_OK, want.data, want.len);
	strbuf_free(&in);
	strbuf_free(&want);
}

static void decodes_thousands_of_alternating_charsets(void **state)
{
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT;

	(void)state;
	while (in.len < 100 * 1024) {
		strbuf_appends(&in, "=?iso-8859-1?Q?=E9?= =?koi8-r?Q?=F0?=\t");
		strbuf_appends(&want, "éП");
	}
	strbuf_appendc(&want, '\t');	/* white space after the last word stays */
	expect_decode(in.data, in.len, RFC2047_OK, want.data, want.len);
	strbuf_free(&in);
	strbuf_free(&want);
}

static void keeps_100kb_of_hostile_fragments_literally(void **state)
{
	static const char *const units[] = {
		"=?", "=?utf-8?", "=?utf-8?B?", "?=", "=?utf-8?Q?a b", "=?a?Q?",
	};
	struct strbuf in = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		strbuf_reset(&in);
		repeat(&in, units[i], 100 * 1024);
		expect_decode(in.data, in.len, RFC2047_OK, in.data, in.len);
	}
	strbuf_reset(&in);
	strbuf_appends(&in, "=?utf-8?Q?");
	repeat(&in, "a", 100 * 1024);
	expect_decode(in.data, in.len, RFC2047_OK, in.data, in.len);
	strbuf_free(&in);
}

static void rejects_problems_at_end_of_100kb(void **state)
{
	static const struct {
		const char *tail;
		enum rfc2047_status want;
	} tails[] = {
		{ "\xE4", RFC2047_BAD_RAW_UTF8 },
		{ "=?utf-8?Q?=E4?=", RFC2047_BAD_DECODED },
		{ "=?utf-8?B?5L2?=", RFC2047_BAD_ENCODING },
		{ "=?x-unknown?Q?a?=", RFC2047_BAD_CHARSET },
		{ "=?utf-8?Q?=00?=", RFC2047_HAS_NUL },
	};
	struct strbuf in = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		strbuf_reset(&in);
		repeat(&in, "=?utf-8?Q?ok?= ", 100 * 1024);
		strbuf_appends(&in, tails[i].tail);
		expect_decode(in.data, in.len, tails[i].want, NULL, 0);
	}
	strbuf_free(&in);
}

/*
 * Builds n characters cycling through 1- to 4-byte ones, Q-encoded in
 * words of 7 bytes so that most words cut a character in two.
 */
static void build_split_subject(size_t n, struct strbuf *raw, struct strbuf *enc)
{
	static const char *const chars[] = { "a", "é", "你", "😀" };
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_appends(raw, chars[i % ARRAY_SIZE(chars)]);
	for (i = 0; i < raw->len; i++) {
		if (i % 7 == 0)
			strbuf_appends(enc, i == 0 ? "=?utf-8?Q?" : "?= =?utf-8?Q?");
		strbuf_appendf(enc, "=%02X", (unsigned char)raw->data[i]);
	}
	strbuf_appends(enc, "?=");
}

static void counts_998_and_999_characters_split_across_words(void **state)
{
	struct strbuf raw = STRBUF_INIT, enc = STRBUF_INIT;
	size_t n, got;

	(void)state;
	for (n = 998; n <= 999; n++) {
		strbuf_reset(&raw);
		strbuf_reset(&enc);
		build_split_subject(n, &raw, &enc);
		expect_decode(enc.data, enc.len, RFC2047_OK, raw.data, raw.len);
		got = utf8_chars(raw.data, raw.len);
		if (got != n) {
			print_message("utf8_chars of %zu bytes: got %zu, want %zu\n",
				      raw.len, got, n);
			strbuf_free(&raw);
			strbuf_free(&enc);
			fail();
		}
	}
	strbuf_free(&raw);
	strbuf_free(&enc);
}

static void appends_to_existing_output(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	strbuf_appends(&out, "Subject: ");
	assert_int_equal(rfc2047_decode(IN("=?utf-8?B?5L2g?="), &out), RFC2047_OK);
	assert_string_equal(strbuf_cstr(&out), "Subject: 你");
	strbuf_free(&out);
}

static void reads_only_len_bytes(void **state)
{
	(void)state;
	expect_decode("abc=?utf-8?Q?x?=", 5, RFC2047_OK, IN("abc=?"));
	expect_decode("=?utf-8?Q?x?=\xFF", 13, RFC2047_OK, IN("x"));
}

static void unfolds_then_decodes_folded_words(void **state)
{
	static const char folded[] = "=?utf-8?B?5L0=?=\r\n =?utf-8?B?oA==?=\r\n";
	struct strbuf unfolded = STRBUF_INIT;

	(void)state;
	rfc2047_unfold(folded, sizeof folded - 1, &unfolded);
	expect_decode(unfolded.data, unfolded.len, RFC2047_OK, IN("你"));
	strbuf_free(&unfolded);
}

static void names_every_status(void **state)
{
	static const struct {
		enum rfc2047_status st;
		const char *text;
	} want[] = {
		{ RFC2047_OK, "is valid" },
		{ RFC2047_BAD_RAW_UTF8, "is not valid UTF-8" },
		{ RFC2047_BAD_CHARSET, "names an unknown charset" },
		{ RFC2047_BAD_ENCODING, "has a broken encoded-word" },
		{ RFC2047_BAD_DECODED, "has bytes invalid in its charset" },
		{ RFC2047_HAS_NUL, "contains a NUL byte" },
		{ (enum rfc2047_status)99, "has an unknown problem" },
	};
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		got = rfc2047_status_text(want[i].st);
		if (got == NULL || strcmp(got, want[i].text) != 0) {
			print_message("status_text(%d): got \"%s\", want \"%s\"\n",
				      (int)want[i].st, got ? got : "(null)",
				      want[i].text);
			fail();
		}
	}
}

#define THREADS 8
#define THREAD_ROUNDS 200

static const char thread_subject[] =
	"Re: =?gb2312?B?xOO6ww==?= =?shift_jis?B?k/qWe4zq?= "
	"=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?= =?koi8-r?B?8NLJ18XU?= ok";
static const char thread_want[] = "Re: 你好日本語日本語Привет ok";

/* Decodes thread_subject repeatedly; returns the number of wrong results. */
static void *decode_rounds(void *arg)
{
	struct strbuf out = STRBUF_INIT;
	size_t *wrong = arg;
	int i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		strbuf_reset(&out);
		if (rfc2047_decode(IN(thread_subject), &out) != RFC2047_OK ||
		    strcmp(strbuf_cstr(&out), thread_want) != 0)
			(*wrong)++;
	}
	strbuf_free(&out);
	return NULL;
}

static void decodes_concurrently_in_threads(void **state)
{
	pthread_t tid[THREADS];
	size_t wrong[THREADS] = { 0 }, total = 0;
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, decode_rounds, &wrong[i]), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		total += wrong[i];
	}
	if (total != 0) {
		print_message("wrong decodes: got %zu, want 0\n", total);
		fail();
	}
}

/* xorshift32: deterministic pseudo-random numbers for the fuzz test. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void survives_random_fragments(void **state)
{
	static const char *const pieces[] = {
		"=?", "?=", "?", "=", "utf-8", "gb2312", "iso-2022-jp", "utf-16",
		"*en", "?B?", "?Q?", "?b?", "?x?", "5L2g", "xOO6", "AA==", "/w=",
		"=E4", "=BD", "=A0", "=00", "_", " ", "\t", "a", "\xE4", "\xBD\xA0",
		"\x1B$B", "\r\n",
	};
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, a = STRBUF_INIT;
	enum rfc2047_status st;
	uint32_t seed = 2047;
	int round, k, n;
	char *copy;

	(void)state;
	for (round = 0; round < 5000; round++) {
		strbuf_reset(&in);
		strbuf_reset(&out);
		n = (int)(next_random(&seed) % 40);
		for (k = 0; k < n; k++)
			strbuf_appends(&in, pieces[next_random(&seed) % ARRAY_SIZE(pieces)]);
		if (next_random(&seed) % 8 == 0)
			strbuf_appendc(&in, '\0');
		copy = malloc(in.len > 0 ? in.len : 1);	/* exact size */
		assert_non_null(copy);
		memcpy(copy, strbuf_cstr(&in), in.len);
		st = rfc2047_decode(copy, in.len, &out);
		free(copy);
		if (st == RFC2047_OK && (!utf8_valid(strbuf_cstr(&out), out.len) ||
					 memchr(strbuf_cstr(&out), '\0', out.len) != NULL)) {
			print_message("decode %s: got invalid output, want UTF-8 without NUL\n",
				      show(&a, strbuf_cstr(&in), in.len));
			strbuf_free(&in);
			strbuf_free(&out);
			strbuf_free(&a);
			fail();
		}
	}
	strbuf_free(&in);
	strbuf_free(&out);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(decodes_100kb_plain_text),
	cmocka_unit_test(decodes_thousands_of_adjacent_words),
	cmocka_unit_test(decodes_thousands_of_alternating_charsets),
	cmocka_unit_test(keeps_100kb_of_hostile_fragments_literally),
	cmocka_unit_test(rejects_problems_at_end_of_100kb),
	cmocka_unit_test(counts_998_and_999_characters_split_across_words),
	cmocka_unit_test(appends_to_existing_output),
	cmocka_unit_test(reads_only_len_bytes),
	cmocka_unit_test(unfolds_then_decodes_folded_words),
	cmocka_unit_test(names_every_status),
	cmocka_unit_test(decodes_concurrently_in_threads),
	cmocka_unit_test(survives_random_fragments),
};

/* One cmocka test per table row, named after the row, state = the row. */
static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

/* Table rows first, then the hand-written tests; exit status = failures. */
int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(decode_cases) + ARRAY_SIZE(utf8_cases) +
				ARRAY_SIZE(unfold_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(decode_cases); i++)
		tests[n++] = row_test(decode_cases[i].name, run_decode_case,
				      &decode_cases[i]);
	for (i = 0; i < ARRAY_SIZE(utf8_cases); i++)
		tests[n++] = row_test(utf8_cases[i].name, run_utf8_case,
				      &utf8_cases[i]);
	for (i = 0; i < ARRAY_SIZE(unfold_cases); i++)
		tests[n++] = row_test(unfold_cases[i].name, run_unfold_case,
				      &unfold_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("rfc2047", tests, NULL, NULL);
}
