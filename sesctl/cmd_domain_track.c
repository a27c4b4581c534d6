/*
 * cmd_domain_track - the tracking host of a sender domain in "sesctl
 * domain records" and "sesctl domain verify".
 *
 * When TrackingUrl names the sender domain (https://track.%d), each
 * domain needs its host (track.example.com) to be a CNAME to
 * TrackingCname, the name of the gateways' tracking endpoint.  records
 * prints that CNAME; verify looks it up and judges it like the other
 * records: ok when some CNAME at the host names TrackingCname (case and
 * a final dot ignored).  Nothing is printed or checked when TrackingUrl
 * is unset or names one host for every domain.
 *
 * Diagnostics: "warning: TrackingCname is not set in CONF: ...",
 * "cannot check HOST CNAME: REASON".
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_domain.h"

/* The tracking host for domain into host (""): TrackingUrl's, %d expanded. */
static void cmd_domain_track_host(const struct sesctl *ctx, const char *domain,
				  struct strbuf *host)
{
	const char *url = ctx->conf->tracking_url, *p = strstr(url, "://");

	if (strstr(url, "%d") == NULL || p == NULL)
		return;
	for (p += 3; *p != '\0' && *p != '/' && *p != ':' && *p != '?'; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			strbuf_appends(host, domain);
			p++;
		} else {
			strbuf_appendc(host, *p);
		}
	}
}

/* The configured target without a final dot into out ("" when unset). */
static void cmd_domain_track_target(const struct sesctl *ctx, struct strbuf *out)
{
	strbuf_appends(out, ctx->conf->tracking_cname);
	while (out->len > 0 && out->data[out->len - 1] == '.')
		out->data[--out->len] = '\0';
}

void cmd_domain_track_print(const struct sesctl *ctx, const char *domain)
{
	struct strbuf host = STRBUF_INIT, target = STRBUF_INIT;

	cmd_domain_track_host(ctx, domain, &host);
	cmd_domain_track_target(ctx, &target);
	if (host.len > 0 && target.len > 0)
		printf("%s. IN CNAME %s.\n", strbuf_cstr(&host), strbuf_cstr(&target));
	else if (host.len > 0)
		sesctl_err("warning: TrackingCname is not set in %s: the CNAME for %s cannot be "
			   "shown", ctx->conf->path, strbuf_cstr(&host));
	strbuf_free(&host);
	strbuf_free(&target);
}

int cmd_domain_track_verify(const struct sesctl *ctx, struct dns_resolver *dns,
			    const char *domain, size_t *bad)
{
	struct strbuf host = STRBUF_INIT, target = STRBUF_INIT, err = STRBUF_INIT;
	struct dns_answers a;
	enum dns_status st;
	const char *verdict;
	bool ok = false;
	size_t i;
	int rc = SESCTL_OK;

	cmd_domain_track_host(ctx, domain, &host);
	cmd_domain_track_target(ctx, &target);
	if (host.len == 0 || target.len == 0)
		goto out;
	st = dns_query(dns, strbuf_cstr(&host), DNS_RR_CNAME, &a, &err);
	if (st == DNS_TEMPFAIL) {
		sesctl_err("cannot check %s CNAME: %s", strbuf_cstr(&host), strbuf_cstr(&err));
		rc = SESCTL_UNAVAILABLE;
		dns_answers_free(&a);
		goto out;
	}
	for (i = 0; i < a.n; i++)
		ok = ok || strcasecmp(a.v[i], strbuf_cstr(&target)) == 0;
	verdict = ok ? "ok" : a.n > 0 ? "WRONG" : "MISSING";
	printf("%-7s  %s CNAME  expected: %s  current: ", verdict, strbuf_cstr(&host),
	       strbuf_cstr(&target));
	for (i = 0; i < a.n; i++)
		printf("%s%s", i ? " | " : "", a.v[i]);
	printf("%s\n", a.n == 0 ? "(none)" : "");
	if (!ok)
		(*bad)++;
	dns_answers_free(&a);
out:
	strbuf_free(&host);
	strbuf_free(&target);
	strbuf_free(&err);
	return rc;
}
