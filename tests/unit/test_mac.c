/*
 * test_mac - unit tests for policy/util/mac.c and policy/util/mac_key.c: HMAC-SHA256
 * over framed fields (checked against values computed independently with
 * Python's hmac module), constant-time comparison, base32 against the
 * RFC 4648 vectors, strict decoding, sealed tokens (round trip, any case,
 * every one-character change refused, other domain or purpose refused),
 * and the key file (made 0600, loaded again, refused when others may read
 * it or its size is wrong, and one key when several processes race).
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mac.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The key 00 01 02 .. 1f, the one the Python reference values use. */
static void counting_key(struct mac_key *key)
{
	size_t i;

	for (i = 0; i < MAC_KEY_LEN; i++)
		key->bytes[i] = (unsigned char)i;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* ---- HMAC ------------------------------------------------------------------ */

static void hmac_matches_reference_for_framed_fields(void **state)
{
	static const char want[] =
		"16e817c741d324592754c614738e4d8e3dbd967f910211bf4c90461de5c8ab6e";
	struct mac_field f[2] = { { "verp", 4 }, { "example.com", 11 } };
	unsigned char out[MAC_LEN];
	struct mac_key key;
	char got[2 * MAC_LEN + 1];

	counting_key(&key);
	mac_hmac(&key, f, 2, out);
	hex(out, MAC_LEN, got);
	if (strcmp(got, want) != 0)
		fail_msg("HMAC: got %s, want %s", got, want);
}

static void hmac_of_no_fields_matches_reference(void **state)
{
	static const char want[] =
		"d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb";
	unsigned char out[MAC_LEN];
	struct mac_key key;
	char got[2 * MAC_LEN + 1];

	counting_key(&key);
	mac_hmac(&key, NULL, 0, out);
	hex(out, MAC_LEN, got);
	if (strcmp(got, want) != 0)
		fail_msg("HMAC: got %s, want %s", got, want);
}

static void hmac_framing_separates_field_boundaries(void **state)
{
	struct mac_field a[2] = { { "ab", 2 }, { "c", 1 } };
	struct mac_field b[2] = { { "a", 1 }, { "bc", 2 } };
	struct mac_field c[1] = { { "abc", 3 } };
	unsigned char ma[MAC_LEN], mb[MAC_LEN], mc[MAC_LEN];
	struct mac_key key;

	counting_key(&key);
	mac_hmac(&key, a, 2, ma);
	mac_hmac(&key, b, 2, mb);
	mac_hmac(&key, c, 1, mc);
	if (memcmp(ma, mb, MAC_LEN) == 0 || memcmp(ma, mc, MAC_LEN) == 0)
		fail_msg("HMAC of (ab,c), (a,bc), (abc): got two equal, want all different");
}

static void hmac_depends_on_key(void **state)
{
	struct mac_field f[1] = { { "x", 1 } };
	unsigned char m1[MAC_LEN], m2[MAC_LEN];
	struct mac_key key;

	counting_key(&key);
	mac_hmac(&key, f, 1, m1);
	key.bytes[31] ^= 1;
	mac_hmac(&key, f, 1, m2);
	if (memcmp(m1, m2, MAC_LEN) == 0)
		fail_msg("HMAC under keys differing in one bit: got equal, want different");
}

static void equal_compares_every_byte(void **state)
{
	unsigned char a[16] = { 0 }, b[16] = { 0 };

	assert_true(mac_equal(a, b, sizeof a));
	assert_true(mac_equal(a, b, 0));
	b[0] = 1;
	if (mac_equal(a, b, sizeof a))
		fail_msg("first byte differs: got equal, want different");
	b[0] = 0;
	b[15] = 0x80;
	if (mac_equal(a, b, sizeof a))
		fail_msg("last byte differs: got equal, want different");
}

static void short_hash_is_prefix_and_separates_purposes(void **state)
{
	struct mac_field f[2] = { { "p", 1 }, { "data", 4 } };
	unsigned char full[MAC_LEN], h[8], other[8], big[MAC_LEN + 8];
	struct mac_key key;

	counting_key(&key);
	mac_hmac(&key, f, 2, full);
	mac_short_hash(&key, "p", "data", 4, h, sizeof h);
	if (memcmp(full, h, sizeof h) != 0)
		fail_msg("short hash: got not the HMAC's first 8 bytes, want them");
	mac_short_hash(&key, "q", "data", 4, other, sizeof other);
	if (memcmp(h, other, sizeof h) == 0)
		fail_msg("short hash under purposes p and q: got equal, want different");
	memset(big, 0xee, sizeof big);
	mac_short_hash(&key, "p", "data", 4, big, sizeof big);
	if (memcmp(big, full, MAC_LEN) != 0 || big[MAC_LEN] != 0xee)
		fail_msg("short hash of %zu bytes: got more than MAC_LEN written, want %d",
			 sizeof big, MAC_LEN);
}

/* ---- base32 ---------------------------------------------------------------- */

struct b32_case {
	const char *name;
	const char *data;
	const char *text;
};

/* RFC 4648 section 10, lower case, padding removed. */
static const struct b32_case b32_cases[] = {
	{ "base32_of_empty_is_empty", "", "" },
	{ "base32_of_f", "f", "my" },
	{ "base32_of_fo", "fo", "mzxq" },
	{ "base32_of_foo", "foo", "mzxw6" },
	{ "base32_of_foob", "foob", "mzxw6yq" },
	{ "base32_of_fooba", "fooba", "mzxw6ytb" },
	{ "base32_of_foobar", "foobar", "mzxw6ytboi" },
};

static void run_b32_case(void **state)
{
	const struct b32_case *c = *state;
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT, up = STRBUF_INIT;
	size_t i;

	mac_base32_encode(c->data, strlen(c->data), &enc);
	if (strcmp(strbuf_cstr(&enc), c->text) != 0)
		fail_msg("encode \"%s\": got \"%s\", want \"%s\"", c->data, strbuf_cstr(&enc),
			 c->text);
	if (enc.len != mac_base32_len(strlen(c->data)))
		fail_msg("mac_base32_len(%zu): got %zu, want %zu", strlen(c->data),
			 mac_base32_len(strlen(c->data)), enc.len);
	if (mac_base32_decode(c->text, strlen(c->text), &dec) != 0 ||
	    strcmp(strbuf_cstr(&dec), c->data) != 0)
		fail_msg("decode \"%s\": got \"%s\", want \"%s\"", c->text, strbuf_cstr(&dec),
			 c->data);
	for (i = 0; c->text[i] != '\0'; i++)
		strbuf_appendc(&up, (char)(c->text[i] >= 'a' ? c->text[i] - 32 : c->text[i]));
	strbuf_reset(&dec);
	if (mac_base32_decode(strbuf_cstr(&up), up.len, &dec) != 0 ||
	    strcmp(strbuf_cstr(&dec), c->data) != 0)
		fail_msg("decode upper-case \"%s\": got \"%s\", want \"%s\"", strbuf_cstr(&up),
			 strbuf_cstr(&dec), c->data);
	strbuf_free(&enc);
	strbuf_free(&dec);
	strbuf_free(&up);
}

static void base32_round_trips_every_length_and_byte(void **state)
{
	unsigned char data[300];
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
	size_t len, i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 167 + 13);
	for (len = 0; len <= sizeof data; len++) {
		strbuf_reset(&enc);
		strbuf_reset(&dec);
		mac_base32_encode(data, len, &enc);
		for (i = 0; i < enc.len; i++)
			if (strchr("abcdefghijklmnopqrstuvwxyz234567", enc.data[i]) == NULL)
				fail_msg("encode of %zu bytes: got character '%c', want [a-z2-7]",
					 len, enc.data[i]);
		if (mac_base32_decode(enc.data, enc.len, &dec) != 0 || dec.len != len ||
		    (len > 0 && memcmp(dec.data, data, len) != 0))
			fail_msg("round trip of %zu bytes: got %zu bytes back, want the same %zu",
				 len, dec.len, len);
	}
	strbuf_free(&enc);
	strbuf_free(&dec);
}

static void base32_decode_refuses_bad_text(void **state)
{
	static const char *const bad[] = {
		"m",	      /* impossible length 1 */
		"mzx",	      /* impossible length 3 */
		"mzxw6y",     /* impossible length 6 */
		"mz",	      /* "f" is "my": non-zero leftover bits */
		"mzxw6ytbop", /* "foobar" is "...oi" */
		"my======",   /* padding */
		"m1",	      /* '1' is not in the alphabet */
		"m8", "m0", "m-", "m ", "m\xc3\xa9", "my\n",
	};
	struct strbuf out = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		strbuf_reset(&out);
		if (mac_base32_decode(bad[i], strlen(bad[i]), &out) == 0)
			fail_msg("decode \"%s\": got success (%zu bytes), want -1", bad[i],
				 out.len);
	}
	strbuf_free(&out);
}

/* ---- sealed tokens --------------------------------------------------------- */

static void seal_matches_reference(void **state)
{
	struct strbuf tok = STRBUF_INIT;
	struct mac_key key;

	counting_key(&key);
	mac_seal(&key, "test", "example.com", "hello", 5, "t-", &tok);
	if (strcmp(strbuf_cstr(&tok), "t-nbswy3dp-dzwabpyhg7") != 0)
		fail_msg("seal: got \"%s\", want \"t-nbswy3dp-dzwabpyhg7\"", strbuf_cstr(&tok));
	strbuf_free(&tok);
}

struct open_case {
	const char *name;
	const char *token;
	const char *purpose;
	const char *domain;
	enum mac_open_result want;
};

static const struct open_case open_cases[] = {
	{ "open_accepts_sealed_token", "t-nbswy3dp-dzwabpyhg7", "test", "example.com",
	  MAC_OPEN_OK },
	{ "open_accepts_upper_case_token", "T-NBSWY3DP-DZWABPYHG7", "test", "example.com",
	  MAC_OPEN_OK },
	{ "open_accepts_mixed_case_token", "t-NbSwY3dP-dZwAbPyHg7", "test", "example.com",
	  MAC_OPEN_OK },
	{ "open_refuses_other_domain", "t-nbswy3dp-dzwabpyhg7", "test", "example.net",
	  MAC_OPEN_FORGED },
	{ "open_refuses_other_purpose", "t-nbswy3dp-dzwabpyhg7", "verp", "example.com",
	  MAC_OPEN_FORGED },
	{ "open_refuses_changed_payload", "t-nbswy3dq-dzwabpyhg7", "test", "example.com",
	  MAC_OPEN_FORGED },
	{ "open_refuses_changed_tag", "t-nbswy3dp-dzwabpyhg6", "test", "example.com",
	  MAC_OPEN_FORGED },
	{ "open_refuses_other_prefix", "u-nbswy3dp-dzwabpyhg7", "test", "example.com",
	  MAC_OPEN_NOT_OURS },
	{ "open_refuses_empty_token", "", "test", "example.com", MAC_OPEN_NOT_OURS },
	{ "open_refuses_prefix_only", "t-", "test", "example.com", MAC_OPEN_MALFORMED },
	{ "open_refuses_missing_payload", "t--dzwabpyhg7", "test", "example.com",
	  MAC_OPEN_MALFORMED },
	{ "open_refuses_short_tag", "t-nbswy3dp-dzwabpyhg", "test", "example.com",
	  MAC_OPEN_MALFORMED },
	{ "open_refuses_long_tag", "t-nbswy3dp-dzwabpyhg77", "test", "example.com",
	  MAC_OPEN_MALFORMED },
	{ "open_refuses_tag_outside_alphabet", "t-nbswy3dp-dzwabpyhg1", "test", "example.com",
	  MAC_OPEN_MALFORMED },
	{ "open_refuses_payload_outside_alphabet", "t-nbsw=3dp-dzwabpyhg7", "test",
	  "example.com", MAC_OPEN_MALFORMED },
	{ "open_refuses_payload_with_stray_bits", "t-nbswy3dpmz-dzwabpyhg7", "test",
	  "example.com", MAC_OPEN_MALFORMED },
	{ "open_refuses_missing_dash", "t-nbswy3dpxdzwabpyhg7", "test", "example.com",
	  MAC_OPEN_MALFORMED },
};

static void run_open_case(void **state)
{
	const struct open_case *c = *state;
	struct strbuf out = STRBUF_INIT;
	enum mac_open_result got;
	struct mac_key key;

	counting_key(&key);
	got = mac_open(&key, c->purpose, c->domain, c->token, strlen(c->token), "t-", &out);
	if (got != c->want)
		fail_msg("open \"%s\" for %s/%s: got %s, want %s", c->token, c->purpose,
			 c->domain, mac_open_result_name(got), mac_open_result_name(c->want));
	if (got == MAC_OPEN_OK && strcmp(strbuf_cstr(&out), "hello") != 0)
		fail_msg("payload: got \"%s\", want \"hello\"", strbuf_cstr(&out));
	if (got != MAC_OPEN_OK && out.len != 0)
		fail_msg("on %s: got %zu payload bytes, want none", mac_open_result_name(got),
			 out.len);
	strbuf_free(&out);
}

/* No single-character change of a token opens, whatever the character. */
static void open_refuses_every_one_character_change(void **state)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz234567-01=+_. @\x80";
	struct strbuf tok = STRBUF_INIT, out = STRBUF_INIT;
	struct mac_key key;
	unsigned char payload[24];
	size_t i, j;

	counting_key(&key);
	for (i = 0; i < sizeof payload; i++)
		payload[i] = (unsigned char)(i * 31);
	mac_seal(&key, "test", "example.com", payload, sizeof payload, "b-", &tok);
	for (i = 0; i < tok.len; i++) {
		char orig = tok.data[i];

		for (j = 0; j < sizeof chars - 1; j++) {
			if (chars[j] == orig)
				continue;
			tok.data[i] = chars[j];
			if (mac_open(&key, "test", "example.com", tok.data, tok.len, "b-", &out) ==
			    MAC_OPEN_OK)
				fail_msg("token with position %zu changed to '%c': got ok, want "
					 "refused", i, chars[j]);
		}
		tok.data[i] = orig;
	}
	assert_int_equal(mac_open(&key, "test", "example.com", tok.data, tok.len, "b-", &out),
			 MAC_OPEN_OK);
	strbuf_free(&tok);
	strbuf_free(&out);
}

static void open_survives_hostile_tokens(void **state)
{
	struct strbuf tok = STRBUF_INIT, out = STRBUF_INIT;
	struct mac_key key;
	size_t i;

	counting_key(&key);
	strbuf_appends(&tok, "t-");
	for (i = 0; i < 100000; i++)
		strbuf_appendc(&tok, "a-7z"[i % 4]);
	assert_int_not_equal(mac_open(&key, "test", "example.com", tok.data, tok.len, "t-", &out),
			     MAC_OPEN_OK);
	for (i = 0; i < 256; i++) {
		char t[] = "t-xx-dzwabpyhg7";

		t[2] = t[3] = (char)i; /* every byte, NUL too, inside the payload */
		if (mac_open(&key, "test", "example.com", t, sizeof t - 1, "t-", &out) ==
		    MAC_OPEN_OK)
			fail_msg("token with byte 0x%02zx: got ok, want refused", i);
	}
	strbuf_free(&tok);
	strbuf_free(&out);
}

/* ---- the key file ------------------------------------------------------------ */

static void key_path_joins_data_dir(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	mac_key_path("/var/lib/ses-milter", &a);
	mac_key_path("/var/lib/ses-milter/", &b);
	if (strcmp(strbuf_cstr(&a), "/var/lib/ses-milter/feedback.key") != 0 ||
	    strcmp(strbuf_cstr(&b), "/var/lib/ses-milter/feedback.key") != 0)
		fail_msg("got \"%s\" and \"%s\", want /var/lib/ses-milter/feedback.key twice",
			 strbuf_cstr(&a), strbuf_cstr(&b));
	strbuf_free(&a);
	strbuf_free(&b);
}

/* Number of entries in dir besides . and .. */
static int dir_entries(const char *dir)
{
	char cmd[512];
	FILE *fp;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	fp = popen(cmd, "r");
	if (fp == NULL || fscanf(fp, "%d", &n) != 1)
		n = -1;
	if (fp != NULL)
		pclose(fp);
	return n;
}

static void ensure_creates_private_key_once(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, MAC_KEY_FILE);
	struct strbuf err = STRBUF_INIT;
	struct mac_key k1, k2, k3;
	bool created = false;
	struct stat st;

	if (mac_key_ensure(path, &k1, &created, &err) != 0)
		fail_msg("first ensure: got \"%s\", want success", strbuf_cstr(&err));
	if (!created)
		fail_msg("first ensure: got created false, want true");
	if (stat(path, &st) != 0 || (st.st_mode & 07777) != 0600 || st.st_size != MAC_KEY_LEN)
		fail_msg("key file: got mode %o size %lld, want 600 and %d",
			 (unsigned)(st.st_mode & 07777), (long long)st.st_size, MAC_KEY_LEN);
	if (mac_key_ensure(path, &k2, &created, &err) != 0 || created)
		fail_msg("second ensure: got \"%s\", created %d, want success and false",
			 strbuf_cstr(&err), created);
	if (mac_key_load(path, &k3, &err) != 0)
		fail_msg("load: got \"%s\", want success", strbuf_cstr(&err));
	if (memcmp(k1.bytes, k2.bytes, MAC_KEY_LEN) != 0 ||
	    memcmp(k1.bytes, k3.bytes, MAC_KEY_LEN) != 0)
		fail_msg("keys: got different keys from one file, want the same");
	if (dir_entries(dir) != 1)
		fail_msg("directory: got %d entries, want only the key", dir_entries(dir));
	mac_key_clear(&k1);
	memset(&k2, 0, sizeof k2);
	if (memcmp(k1.bytes, k2.bytes, MAC_KEY_LEN) != 0)
		fail_msg("mac_key_clear: got bytes left, want zeros");
	strbuf_free(&err);
	free(path);
	testutil_rmtree_free(dir);
}

static void ensure_reports_missing_directory(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "nope/feedback.key");
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
	struct mac_key key;

	strbuf_appendf(&want, "%s: cannot create: No such file or directory", path);
	if (mac_key_ensure(path, &key, NULL, &err) != -1 ||
	    strcmp(strbuf_cstr(&err), strbuf_cstr(&want)) != 0)
		fail_msg("got \"%s\", want \"%s\"", strbuf_cstr(&err), strbuf_cstr(&want));
	strbuf_free(&err);
	strbuf_free(&want);
	free(path);
	testutil_rmtree_free(dir);
}

struct load_case {
	const char *name;
	size_t size;	  /* bytes written */
	unsigned mode;
	bool directory;	  /* make a directory instead */
	bool missing;	  /* make nothing */
	const char *want; /* NULL: success; else err after "PATH: " */
};

static const struct load_case load_cases[] = {
	{ "load_accepts_owner_only_key", 32, 0600, false, false, NULL },
	{ "load_accepts_owner_read_only_key", 32, 0400, false, false, NULL },
	{ "load_accepts_group_readable_key", 32, 0640, false, false, NULL },
	{ "load_refuses_world_readable_key", 32, 0644, false, false,
	  "readable or writable by others (chmod 0600)" },
	{ "load_refuses_world_writable_key", 32, 0602, false, false,
	  "readable or writable by others (chmod 0600)" },
	{ "load_refuses_group_writable_key", 32, 0660, false, false,
	  "writable by its group (chmod 0600)" },
	{ "load_refuses_short_key", 31, 0600, false, false, "31 bytes (want 32)" },
	{ "load_refuses_long_key", 33, 0600, false, false, "33 bytes (want 32)" },
	{ "load_refuses_empty_key", 0, 0600, false, false, "0 bytes (want 32)" },
	{ "load_refuses_directory", 0, 0700, true, false, "not a regular file" },
	{ "load_reports_missing_key", 0, 0, false, true,
	  "cannot open: No such file or directory" },
};

static void run_load_case(void **state)
{
	const struct load_case *c = *state;
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, MAC_KEY_FILE);
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
	char content[64];
	struct mac_key key;
	int rc;

	memset(content, 'k', sizeof content);
	content[c->size] = '\0';
	if (c->directory)
		testutil_mkdir(dir, MAC_KEY_FILE);
	else if (!c->missing)
		testutil_write_file(dir, MAC_KEY_FILE, content);
	if (!c->missing)
		assert_int_equal(chmod(path, c->mode), 0);
	rc = mac_key_load(path, &key, &err);
	if (c->want == NULL) {
		if (rc != 0)
			fail_msg("load: got \"%s\", want success", strbuf_cstr(&err));
		if (key.bytes[0] != 'k' || key.bytes[31] != 'k')
			fail_msg("load: got other bytes, want the file's");
	} else {
		strbuf_appendf(&want, "%s: %s", path, c->want);
		if (rc != -1 || strcmp(strbuf_cstr(&err), strbuf_cstr(&want)) != 0)
			fail_msg("load: got %d \"%s\", want -1 \"%s\"", rc, strbuf_cstr(&err),
				 strbuf_cstr(&want));
	}
	strbuf_free(&err);
	strbuf_free(&want);
	free(path);
	testutil_rmtree_free(dir);
}

static void ensure_refuses_existing_bad_key(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, MAC_KEY_FILE);
	struct strbuf err = STRBUF_INIT;
	struct mac_key key;
	bool created = true;

	testutil_write_file(dir, MAC_KEY_FILE, "short");
	assert_int_equal(chmod(path, 0600), 0);
	if (mac_key_ensure(path, &key, &created, &err) != -1 || created ||
	    strstr(strbuf_cstr(&err), "5 bytes (want 32)") == NULL)
		fail_msg("ensure over a 5-byte file: got \"%s\", want it refused, not replaced",
			 strbuf_cstr(&err));
	strbuf_free(&err);
	free(path);
	testutil_rmtree_free(dir);
}

/* Several processes making the key at once all end up with one key. */
static void ensure_gives_racing_processes_one_key(void **state)
{
	enum { N = 6 };
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, MAC_KEY_FILE);
	unsigned char keys[N][MAC_KEY_LEN];
	int fds[N][2], i, status, made = 0;
	pid_t pids[N];

	for (i = 0; i < N; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct strbuf err = STRBUF_INIT;
			struct mac_key key;
			bool created;
			unsigned char c;

			if (mac_key_ensure(path, &key, &created, &err) != 0)
				_exit(2);
			c = created ? 1 : 0;
			if (write(fds[i][1], key.bytes, MAC_KEY_LEN) != MAC_KEY_LEN ||
			    write(fds[i][1], &c, 1) != 1)
				_exit(3);
			_exit(0);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < N; i++) {
		unsigned char c = 0;

		if (read(fds[i][0], keys[i], MAC_KEY_LEN) != MAC_KEY_LEN ||
		    read(fds[i][0], &c, 1) != 1)
			fail_msg("process %d: got no key, want one", i);
		made += c;
		close(fds[i][0]);
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("process %d: got status %d, want 0", i, status);
	}
	for (i = 1; i < N; i++)
		if (memcmp(keys[0], keys[i], MAC_KEY_LEN) != 0)
			fail_msg("process %d: got another key than process 0, want the same", i);
	if (made != 1)
		fail_msg("processes reporting created: got %d, want 1", made);
	if (dir_entries(dir) != 1)
		fail_msg("directory: got %d entries, want only the key", dir_entries(dir));
	free(path);
	testutil_rmtree_free(dir);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(hmac_matches_reference_for_framed_fields),
	cmocka_unit_test(hmac_of_no_fields_matches_reference),
	cmocka_unit_test(hmac_framing_separates_field_boundaries),
	cmocka_unit_test(hmac_depends_on_key),
	cmocka_unit_test(equal_compares_every_byte),
	cmocka_unit_test(short_hash_is_prefix_and_separates_purposes),
	cmocka_unit_test(base32_round_trips_every_length_and_byte),
	cmocka_unit_test(base32_decode_refuses_bad_text),
	cmocka_unit_test(seal_matches_reference),
	cmocka_unit_test(open_refuses_every_one_character_change),
	cmocka_unit_test(open_survives_hostile_tokens),
	cmocka_unit_test(key_path_joins_data_dir),
	cmocka_unit_test(ensure_creates_private_key_once),
	cmocka_unit_test(ensure_reports_missing_directory),
	cmocka_unit_test(ensure_refuses_existing_bad_key),
	cmocka_unit_test(ensure_gives_racing_processes_one_key),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(b32_cases) + ARRAY_SIZE(open_cases) +
			       ARRAY_SIZE(load_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(b32_cases); i++)
		tests[n++] = row_test(b32_cases[i].name, run_b32_case, &b32_cases[i]);
	for (i = 0; i < ARRAY_SIZE(open_cases); i++)
		tests[n++] = row_test(open_cases[i].name, run_open_case, &open_cases[i]);
	for (i = 0; i < ARRAY_SIZE(load_cases); i++)
		tests[n++] = row_test(load_cases[i].name, run_load_case, &load_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("mac", tests, NULL, NULL);
}
