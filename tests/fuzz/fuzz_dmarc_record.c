/*
 * fuzz_dmarc_record - libFuzzer target: DMARC records from the DNS through
 * the RFC 9989 grammar (dmarc_record_parse) and the tree walk of
 * dmarc_eval_run_treewalk.
 *
 * The input is split at NUL bytes: a From header value, a DKIM d= domain,
 * then TXT records.  Every _dmarc name the walk asks answers with all of
 * them, a name whose first label is "x" fails, and every existence check
 * says NXDOMAIN, so discovery, the organisational-domain walks, np= and
 * the record grammar all see hostile text.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "dmarc_discover.h"
#include "dmarc_eval.h"
#include "fuzzutil.h"

#define FUZZ_TXT 4

static enum dns_status fuzz_query(void *arg, const char *name, enum dns_rrtype type,
				  struct dns_answers *out)
{
	char **f = arg;
	size_t i;

	memset(out, 0, sizeof *out);
	if (type != DNS_RR_TXT)
		return DNS_NXDOMAIN;
	if (strncmp(name, "_dmarc.x.", 9) == 0)
		return DNS_TEMPFAIL;
	out->v = calloc(FUZZ_TXT, sizeof *out->v);
	if (out->v == NULL)
		abort();
	for (i = 0; i < FUZZ_TXT && f[2 + i] != NULL; i++) {
		out->v[i] = strdup(f[2 + i]);
		if (out->v[i] == NULL)
			abort();
	}
	out->n = i;
	return out->n > 0 ? DNS_OK : DNS_NODATA;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2 + FUZZ_TXT];
	struct dmarc_eval_dkim dkim = { NULL, DMARC_EVAL_AUTH_PASS };
	struct dmarc_eval_input in = { 0 };
	struct dmarc_record rec;
	struct dmarc_eval out;
	const char *from;
	size_t i;

	fuzz_fields(data, size, f, 2 + FUZZ_TXT);
	for (i = 2; i < 2 + FUZZ_TXT && f[i] != NULL; i++)
		(void)dmarc_record_parse(f[i], &rec);
	from = f[0] != NULL ? f[0] : "";
	in.from = &from;
	in.nfrom = 1;
	in.spf_domain = f[1];
	in.spf = DMARC_EVAL_AUTH_PASS;
	dkim.domain = f[1];
	in.dkim = &dkim;
	in.ndkim = f[1] != NULL;
	dmarc_eval_run_treewalk(&in, fuzz_query, f, &out);
	dmarc_eval_free(&out);
	fuzz_fields_free(f, 2 + FUZZ_TXT);
	return 0;
}
