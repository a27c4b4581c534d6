/*
 * dkimvfix - the DKIM verification tests' fixture; see dkimvfix.h.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "diag.h"
#include "dkimfix.h"
#include "dkimvfix.h"
#include "testutil.h"

/* Signs a message file with python3-dkim; prints the value of the header. */
static const char sign_py[] =
	"import sys, dkim\n"
	"key, sel, canon, length, alg, ident, path = sys.argv[1:8]\n"
	"c = tuple(x.encode() for x in canon.split('/'))\n"
	"s = dkim.sign(open(path, 'rb').read(), sel.encode(), b'example.com',\n"
	"              open(key, 'rb').read(), canonicalize=c, length=(length == '1'),\n"
	"              signature_algorithm=alg.encode(),\n"
	"              identity=None if ident == '-' else ident.encode(),\n"
	"              include_headers=[b'from', b'to', b'subject', b'date'])\n"
	"sys.stdout.buffer.write(s[len(b'DKIM-Signature: '):].rstrip(b'\\r\\n'))\n";

struct dkim_verify_lib *vlib;
struct dkim_keyring *vring;
unsigned stub_lookups;

/* Key records made at setup, named in zone[].txt by a word after "@". */
enum made_record {
	MADE_LONG,	/* "@long": a key record of 1118 bytes */
	MADE_STRICT,	/* "@strict": the RSA 2048 bit key with t=s */
	MADE_ED_K_RSA,	/* "@ed-k-rsa": the Ed25519 key in a k=rsa record */
	MADE_RSA_K_ED,	/* "@rsa-k-ed": the RSA 2048 bit key in a k=ed25519 record */
	MADE_ED_NO_K,	/* "@ed-no-k": the Ed25519 key in a record without k= */
	MADE_N
};
static const char *const made_names[MADE_N] = { "@long", "@strict", "@ed-k-rsa", "@rsa-k-ed",
						"@ed-no-k" };

struct stub_rr {
	const char *name;	  /* a literal name, or NULL: the vring key's */
	const char *domain, *sel; /* the vring key (NULL: none) */
	enum pem_kind pem;	  /* its kind */
	enum dns_status st;	  /* what the stub answers */
	enum pem_kind record;	  /* the TXT record of this key... */
	const char *txt;	  /* ...or this text ("@...": made at setup) */
};

/* The stub's names, and the vring keys behind most of them. */
static const struct stub_rr zone[] = {
	{ "s2048._domainkey.example.com", NULL, NULL, 0, DNS_OK, PEM_RSA2048, "" },
	{ "ed._domainkey.example.com", NULL, NULL, 0, DNS_OK, PEM_ED25519, "" },
	{ "s1024._domainkey.small.example", NULL, NULL, 0, DNS_OK, PEM_RSA1024, "" },
	{ "py._domainkey.example.com", NULL, NULL, 0, DNS_OK, PEM_RSA2048, "" },
	{ "py512._domainkey.example.com", NULL, NULL, 0, DNS_OK, PEM_RSA512, "" },
	{ "pys._domainkey.example.com", NULL, NULL, 0, DNS_OK, PEM_NONE, "@strict" },
	{ NULL, "rsa.example", "r1", PEM_RSA2048, DNS_OK, PEM_RSA2048, "" },
	{ NULL, "ed.example", "e1", PEM_ED25519, DNS_OK, PEM_ED25519, "" },
	{ NULL, "nokey.example", "n1", PEM_RSA1024, DNS_NXDOMAIN, PEM_NONE, "" },
	{ NULL, "nodata.example", "d1", PEM_RSA1024, DNS_NODATA, PEM_NONE, "" },
	{ NULL, "tempfail.example", "t1", PEM_RSA1024, DNS_TEMPFAIL, PEM_NONE, "" },
	{ NULL, "revoked.example", "k1", PEM_RSA1024, DNS_OK, PEM_NONE, "v=DKIM1; k=rsa; p=" },
	{ NULL, "badrec.example", "b1", PEM_RSA1024, DNS_OK, PEM_NONE, "not a key record" },
	{ NULL, "wrongtype.example", "w1", PEM_RSA1024, DNS_OK, PEM_ED25519, "" },
	{ NULL, "toolong.example", "l1", PEM_RSA1024, DNS_OK, PEM_NONE, "@long" },
	{ NULL, "wrongkey.example", "x1", PEM_RSA2048, DNS_OK, PEM_RSA1024, "" },
	{ NULL, "edkrsa.example", "k1", PEM_ED25519, DNS_OK, PEM_NONE, "@ed-k-rsa" },
	{ NULL, "rsaked.example", "k2", PEM_RSA2048, DNS_OK, PEM_NONE, "@rsa-k-ed" },
	{ NULL, "ednok.example", "k3", PEM_ED25519, DNS_OK, PEM_NONE, "@ed-no-k" },
};

static char *zone_names[sizeof zone / sizeof zone[0]]; /* SEL._domainkey.DOM */
static struct strbuf made[MADE_N];
static char *py_script, *py_keys[PEM_NONE];

/* The record named by txt: one made at setup ("@..."), or txt itself. */
static const char *made_text(const char *txt)
{
	size_t i;

	for (i = 0; i < MADE_N; i++)
		if (strcmp(txt, made_names[i]) == 0)
			return strbuf_cstr(&made[i]);
	return txt;
}

/* The base64 public key of a key of dkimfix. */
static const char *key_p(enum pem_kind kind)
{
	return strstr(strbuf_cstr(&txts[kind]), "p=") + 2;
}

/* Makes the records of enum made_record. */
static void make_records(void)
{
	size_t i;

	strbuf_appends(&made[MADE_LONG], "v=DKIM1; k=rsa; p=");
	for (i = 0; i < 1100; i++)
		strbuf_appendc(&made[MADE_LONG], 'A');
	strbuf_appendf(&made[MADE_STRICT], "v=DKIM1; k=rsa; t=s; p=%s", key_p(PEM_RSA2048));
	strbuf_appendf(&made[MADE_ED_K_RSA], "v=DKIM1; k=rsa; p=%s", key_p(PEM_ED25519));
	strbuf_appendf(&made[MADE_RSA_K_ED], "v=DKIM1; k=ed25519; p=%s", key_p(PEM_RSA2048));
	strbuf_appendf(&made[MADE_ED_NO_K], "v=DKIM1; p=%s", key_p(PEM_ED25519));
}

enum dns_status stub_fetch(void *arg, const char *name, struct strbuf *txt, struct strbuf *err)
{
	size_t i;

	(void)arg;
	__atomic_add_fetch(&stub_lookups, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < ARRAY_SIZE(zone); i++) {
		if (strcasecmp(zone_names[i], name) != 0)
			continue;
		if (zone[i].st == DNS_TEMPFAIL)
			strbuf_appends(err, "stub server answered SERVFAIL");
		if (zone[i].st != DNS_OK)
			return zone[i].st;
		if (zone[i].record != PEM_NONE)
			strbuf_appends(txt, strbuf_cstr(&txts[zone[i].record]));
		else
			strbuf_appends(txt, made_text(zone[i].txt));
		return DNS_OK;
	}
	return DNS_NXDOMAIN;
}

/* Writes the vring keys and the Python signer's; makes the zone names. */
static void write_vkeys(const char *dir)
{
	struct strbuf name = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zone); i++) {
		strbuf_reset(&name);
		if (zone[i].name != NULL) {
			zone_names[i] = strdup(zone[i].name);
			continue;
		}
		strbuf_appendf(&name, "%s/%s.%s.pem", zone[i].domain, zone[i].sel,
			       zone[i].pem == PEM_ED25519 ? "ed25519" : "rsa");
		write_mode(dir, strbuf_cstr(&name), pems[zone[i].pem], 0600);
		strbuf_reset(&name);
		strbuf_appendf(&name, "%s._domainkey.%s", zone[i].sel, zone[i].domain);
		zone_names[i] = strbuf_detach(&name);
	}
	strbuf_free(&name);
	make_records();
	write_mode(tmpdir, "py2048.pem", pems[PEM_RSA2048], 0600);
	write_mode(tmpdir, "py512.pem", pems[PEM_RSA512], 0600);
	testutil_write_file(tmpdir, "sign.py", sign_py);
	py_keys[PEM_RSA2048] = testutil_path(tmpdir, "py2048.pem");
	py_keys[PEM_RSA512] = testutil_path(tmpdir, "py512.pem");
	py_script = testutil_path(tmpdir, "sign.py");
}

int vgroup_setup(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	char *dir;

	group_setup(state);
	dir = testutil_path(tmpdir, "vkeys");
	write_vkeys(dir);
	vring = dkim_keyring_load(dir, false, &dl);
	if (vring == NULL)
		fail_msg("loading the verification ring: %s", testutil_diag_text(&dl));
	vlib = dkim_verify_lib_new(VLIB_MAX, &err);
	if (vlib == NULL)
		fail_msg("dkim_verify_lib_new: got %s, want a library", strbuf_cstr(&err));
	diag_free(&dl);
	strbuf_free(&err);
	free(dir);
	return 0;
}

int vgroup_teardown(void **state)
{
	size_t i;

	dkim_verify_lib_free(vlib);
	dkim_keyring_free(vring);
	for (i = 0; i < ARRAY_SIZE(zone); i++)
		free(zone_names[i]);
	for (i = 0; i < PEM_NONE; i++)
		free(py_keys[i]);
	free(py_script);
	for (i = 0; i < MADE_N; i++)
		strbuf_free(&made[i]);
	return group_teardown(state);
}

/* ---- feeding a verifier ----------------------------------------------------- */

/*
 * value as the MTA gives it with SMFIP_HDR_LEADSPC: folding made LF if lf,
 * the blank write_message puts after the colon unless raw.
 */
static void mta_value(const char *value, bool lf, bool raw, struct strbuf *out)
{
	const char *p;

	strbuf_reset(out);
	if (!raw)
		strbuf_appendc(out, ' ');
	for (p = value; *p != '\0'; p++)
		if (!(lf && p[0] == '\r' && p[1] == '\n'))
			strbuf_appendc(out, *p);
}

struct dkim_verifier *verify_msg(struct dkim_verify_lib *lib, const struct vmsg *m,
				 const struct dkim_verify_sig **res, size_t *n)
{
	struct dkim_verifier *v = dkim_verifier_new(lib, "TESTQID", stub_fetch, NULL);
	struct strbuf value = STRBUF_INIT;
	size_t i, off, len;

	for (i = 0; i < m->nsigs; i++) {
		mta_value(strbuf_cstr(&m->sigs[i]), m->lf, m->raw, &value);
		assert_int_equal(dkim_verifier_header(v, "DKIM-Signature", value.data), 0);
	}
	for (i = 0; i < m->nh; i++) {
		mta_value(m->h[i].value, m->lf, m->raw, &value);
		assert_int_equal(dkim_verifier_header(v, m->h[i].name, value.data), 0);
	}
	assert_int_equal(dkim_verifier_eoh(v), 0);
	for (off = 0; m->body != NULL && off < m->body->len; off += len) {
		len = m->chunk != 0 ? m->chunk : m->body->len;
		if (len > m->body->len - off)
			len = m->body->len - off;
		assert_int_equal(
			dkim_verifier_body(v, (const unsigned char *)m->body->data + off, len), 0);
	}
	*n = dkim_verifier_eom(v, res);
	strbuf_free(&value);
	return v;
}

void expect_sig(const struct dkim_verify_sig *res, size_t got_n, size_t want_n, size_t i,
		enum dkim_verify_status status, const char *reason)
{
	if (got_n != want_n)
		fail_msg("got %zu results, want %zu", got_n, want_n);
	if (res[i].status != status || strcmp(res[i].reason, reason) != 0)
		fail_msg("signature %zu (d=%s s=%s): got %s (%s; %s), want %s (%s)", i,
			 res[i].domain, res[i].selector, dkim_verify_status_name(res[i].status),
			 res[i].reason, res[i].detail != NULL ? res[i].detail : "no detail",
			 dkim_verify_status_name(status), reason);
}

void vsign(const struct dkim_keyring *r, const char *domain, size_t nh, const struct strbuf *body,
	   struct strbuf **sigs, size_t *nsigs)
{
	sign_sample(r, domain, sample_headers, nh, body, sigs, nsigs);
	if (*nsigs == 0)
		fail_msg("signing for %s: got no signature, want one", domain);
}

void edit_tag(const struct strbuf *sig, const char *tag, const char *value, const char *append,
	      struct strbuf *out)
{
	const char *p = strbuf_cstr(sig), *eq;
	bool done = false;
	size_t n, tlen = strlen(tag != NULL ? tag : "");

	strbuf_reset(out);
	while (*p != '\0') {
		p += strspn(p, " \t\r\n;");
		n = strcspn(p, ";");
		eq = memchr(p, '=', n);
		if (n > 0 && !(tag != NULL && eq != NULL && (size_t)(eq - p) == tlen &&
			       strncmp(p, tag, tlen) == 0)) {
			for (; n > 0; n--, p++)
				if (*p != '\r' && *p != '\n' && *p != '\t')
					strbuf_appendc(out, *p);
			strbuf_appends(out, "; ");
		} else if (n > 0 && value != NULL && !done) {
			strbuf_appendf(out, "%s=%s; ", tag, value);
			done = true;
		}
		p += n;
	}
	if (tag != NULL && value != NULL && !done)
		strbuf_appendf(out, "%s=%s; ", tag, value);
	while (out->len > 0 && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == ';'))
		out->data[--out->len] = '\0';
	if (append != NULL)
		strbuf_appends(out, append);
}

void python_sign_file(const struct py_sig *ps, const char *file, struct strbuf *sig)
{
	struct strbuf cmd = STRBUF_INIT;
	char buf[4096];
	size_t got;
	FILE *p;

	if (!have_verifier)
		skip();
	strbuf_appendf(&cmd, "%s %s %s %s %s %d %s %s %s", PYTHON, py_script, py_keys[ps->key],
		       ps->selector, ps->canon, ps->length ? 1 : 0, ps->alg,
		       ps->identity != NULL ? ps->identity : "-", file);
	p = popen(strbuf_cstr(&cmd), "r");
	assert_non_null(p);
	strbuf_reset(sig);
	while ((got = fread(buf, 1, sizeof buf, p)) > 0)
		strbuf_append(sig, buf, got);
	if (pclose(p) != 0 || sig->len == 0)
		fail_msg("python3-dkim signing: got \"%s\", want a signature", strbuf_cstr(sig));
	strbuf_free(&cmd);
}

void python_sign(const struct py_sig *ps, const struct dkim_header *h, size_t nh,
		 const struct strbuf *body, struct strbuf *sig)
{
	char *file;

	if (!have_verifier)
		skip();
	file = write_message(NULL, 0, h, nh, body);
	python_sign_file(ps, file, sig);
	free(file);
}
