/*
 * domfix - a fake DNS answering from a table and DKIM keys made at test
 * time; see domfix.h.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domfix.h"
#include "strbuf.h"
#include "testutil.h"

/* A copy of answer with "@P@" replaced by p.  Caller frees. */
static char *domfix_expand(const char *answer, const char *p)
{
	struct strbuf sb = STRBUF_INIT;
	const char *at = strstr(answer, "@P@");

	if (at == NULL || p == NULL) {
		strbuf_appends(&sb, answer);
	} else {
		strbuf_append(&sb, answer, (size_t)(at - answer));
		strbuf_appendf(&sb, "%s%s", p, at + 3);
	}
	return strbuf_detach(&sb);
}

enum dns_status domfix_query(void *arg, const char *name, enum dns_rrtype type,
			     struct dns_answers *out, struct strbuf *err)
{
	struct domfix_dns *dns = arg;
	size_t i, j;

	memset(out, 0, sizeof *out);
	dns->queries++;
	if (dns->before != NULL && dns->before(dns)) {
		strbuf_appendf(err, "stopped before asking for %s", name);
		return DNS_TEMPFAIL;
	}
	for (i = 0; i < dns->n; i++) {
		const struct domfix_rr *rr = &dns->rrs[i];

		if (rr->name == NULL || strcmp(rr->name, name) != 0 || rr->type != type)
			continue;
		if (rr->status == DNS_TEMPFAIL || rr->status == DNS_BADNAME)
			strbuf_appendf(err, "fake failure for %s", name);
		if (rr->status != DNS_OK)
			return rr->status;
		for (j = 0; j < DOMFIX_MAX_ANSWERS && rr->answers[j] != NULL; j++) {
			out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
			assert_non_null(out->v);
			out->v[out->n++] = domfix_expand(rr->answers[j], dns->p);
		}
		return DNS_OK;
	}
	return DNS_NXDOMAIN;
}

struct domain_check_lookup domfix_lookup(struct domfix_dns *dns)
{
	struct domain_check_lookup l = { domfix_query, dns };

	return l;
}

char *domfix_make_key(const char *dir, const char *domain, const char *file,
		      enum dkim_key_type type)
{
	struct strbuf txt = STRBUF_INIT, err = STRBUF_INIT;
	char name[256], *path, *p;

	snprintf(name, sizeof name, "keys/%s", domain);
	testutil_mkdir(dir, name);
	snprintf(name, sizeof name, "keys/%s/%s", domain, file);
	path = testutil_path(dir, name);
	if (dkim_key_generate(path, type, 1024, &txt, &err) != 0)
		fail_msg("dkim_key_generate(%s): got %s, want a key", path, strbuf_cstr(&err));
	p = domain_check_txt_tag(strbuf_cstr(&txt), "p");
	free(path);
	strbuf_free(&txt);
	strbuf_free(&err);
	return p;
}
