/*
 * signbench - DKIM signatures per second, the former libopendkim signer
 * (bench/sign_opendkim.c) beside the OpenSSL one (policy/signing/
 * dkim_sign.c), on one thread.
 *
 *   bench/signbench [SECONDS_PER_CELL [noopenssl]]
 *
 * Keys are made fresh in a temporary directory (RSA 2048 and Ed25519,
 * each alone in a domain, and a domain with both, which is how sesctl
 * sets a domain up).  Each cell signs one message (12 fields, a 2 KB or
 * 1 MB body) over and over for SECONDS_PER_CELL CPU seconds (default 2)
 * and prints messages signed per CPU second; the "both" rows are
 * messages with two signatures each.  Then, for reference, the raw RSA-2048 sign rate
 * of `openssl speed -seconds 3 rsa2048` (skipped with "noopenssl").
 *
 * Nothing here touches the network.  Exit status 1 when a signer fails.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "dkim_sign.h"
#include "sign_opendkim.h"
#include "strbuf.h"

typedef int signer_fn(const struct dkim_keyring *ring, const char *domain,
		      const struct dkim_header *headers, size_t nheaders, const char *body,
		      size_t body_len, struct strbuf **sigs, size_t *nsigs, struct strbuf *err);

static const struct dkim_header bench_headers[] = {
	{ "From", "\"Alice Example\" <alice@example.com>" },
	{ "To", "bob@example.org" },
	{ "Subject", "A subject long enough to be folded\r\n\tonto a second line" },
	{ "Date", "Mon, 1 Jan 2024 10:00:00 +0000" },
	{ "Message-ID", "<1.bench@example.com>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=utf-8" },
	{ "Content-Transfer-Encoding", "8bit" },
	{ "List-Unsubscribe", "<https://example.com/u/abcdef0123456789>" },
	{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
	{ "X-Mailer", "signbench" },
	{ "Received", "from a host by another host" },
};

/*
 * CPU seconds of this process (one thread), as `openssl speed` counts by
 * default, so other load on the machine does not skew the rates.
 */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A text body of about len bytes, CRLF lines with some WSP to canonicalise. */
static void make_body(struct strbuf *b, size_t len)
{
	size_t i;

	for (i = 0; b->len < len; i++)
		strbuf_appendf(b, "Line %zu of the body,  with some   spaces and words \t \r\n", i);
}

/* Messages per second signing with sign for secs seconds; -1 on failure. */
static double rate(signer_fn *sign, const struct dkim_keyring *ring, const char *domain,
		   const struct strbuf *body, double secs)
{
	struct strbuf err = STRBUF_INIT, *sigs;
	size_t nsigs, i, n = 0;
	double start = now(), t;

	do {
		if (sign(ring, domain, bench_headers,
			 sizeof bench_headers / sizeof bench_headers[0], body->data, body->len,
			 &sigs, &nsigs, &err) != 0 ||
		    nsigs == 0) {
			fprintf(stderr, "signbench: %s: %s\n", domain, strbuf_cstr(&err));
			strbuf_free(&err);
			return -1;
		}
		for (i = 0; i < nsigs; i++)
			strbuf_free(&sigs[i]);
		free(sigs);
		n++;
		t = now() - start;
	} while (t < secs);
	return (double)n / t;
}

/* Makes the keys under dir/DOMAIN/; 0 or -1. */
static int make_keys(const char *dir)
{
	static const struct {
		const char *domain, *file;
		enum dkim_key_type type;
	} keys[] = {
		{ "rsa.bench", "s.rsa.pem", DKIM_KEY_RSA },
		{ "ed.bench", "s.ed25519.pem", DKIM_KEY_ED25519 },
		{ "both.bench", "s.rsa.pem", DKIM_KEY_RSA },
		{ "both.bench", "e.ed25519.pem", DKIM_KEY_ED25519 },
	};
	struct strbuf path = STRBUF_INIT, txt = STRBUF_INIT, err = STRBUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof keys / sizeof keys[0] && rc == 0; i++) {
		strbuf_reset(&path);
		strbuf_appendf(&path, "%s/%s", dir, keys[i].domain);
		(void)mkdir(strbuf_cstr(&path), 0700);
		strbuf_appendf(&path, "/%s", keys[i].file);
		rc = dkim_key_generate(strbuf_cstr(&path), keys[i].type, 2048, &txt, &err);
	}
	if (rc != 0)
		fprintf(stderr, "signbench: %s\n", strbuf_cstr(&err));
	strbuf_free(&path);
	strbuf_free(&txt);
	strbuf_free(&err);
	return rc;
}

/* Runs `openssl speed` for the reference RSA-2048 sign rate. */
static void openssl_reference(void)
{
	char line[512];
	FILE *p = popen("openssl speed -seconds 3 rsa2048 2>/dev/null", "r");

	if (p == NULL)
		return;
	printf("\nopenssl speed -seconds 3 rsa2048 (one private-key operation, reference):\n");
	while (fgets(line, sizeof line, p) != NULL)
		if (strstr(line, "sign") != NULL || strncmp(line, "rsa", 3) == 0)
			fputs(line, stdout);
	pclose(p);
}

/* Prints one row: the old and new rates and their ratio. */
static int row(const struct dkim_keyring *ring, const char *label, const char *domain,
	       const char *size, const struct strbuf *body, double secs)
{
	double old = rate(opendkim_sign_message, ring, domain, body, secs);
	double new = rate(dkim_sign_message, ring, domain, body, secs);

	if (old < 0 || new < 0)
		return -1;
	printf("%-18s %-6s %14.1f %14.1f %8.2fx\n", label, size, old, new, new / old);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	char dir[] = "/tmp/signbench.XXXXXX";
	struct strbuf small = STRBUF_INIT, large = STRBUF_INIT, cmd = STRBUF_INIT;
	struct diag_list dl = DIAG_LIST_INIT;
	struct dkim_keyring *ring = NULL;
	int rc = 1;

	if (secs <= 0 || mkdtemp(dir) == NULL || opendkim_sign_init() != 0 ||
	    dkim_sign_init() != 0 || make_keys(dir) != 0)
		goto out;
	ring = dkim_keyring_load(dir, false, &dl);
	if (ring == NULL)
		goto out;
	make_body(&small, 2048);
	make_body(&large, 1024 * 1024);
	printf("%-18s %-6s %14s %14s %9s\n", "keys", "body", "libopendkim/s", "openssl/s",
	       "speedup");
	if (row(ring, "rsa-2048", "rsa.bench", "2KB", &small, secs) != 0 ||
	    row(ring, "ed25519", "ed.bench", "2KB", &small, secs) != 0 ||
	    row(ring, "rsa-2048+ed25519", "both.bench", "2KB", &small, secs) != 0 ||
	    row(ring, "rsa-2048", "rsa.bench", "1MB", &large, secs) != 0 ||
	    row(ring, "ed25519", "ed.bench", "1MB", &large, secs) != 0 ||
	    row(ring, "rsa-2048+ed25519", "both.bench", "1MB", &large, secs) != 0)
		goto out;
	if (argc <= 2 || strcmp(argv[2], "noopenssl") != 0)
		openssl_reference();
	rc = 0;
out:
	dkim_keyring_free(ring);
	strbuf_appendf(&cmd, "rm -rf '%s'", dir);
	if (system(strbuf_cstr(&cmd)) != 0)
		fprintf(stderr, "signbench: cannot remove %s\n", dir);
	strbuf_free(&cmd);
	strbuf_free(&small);
	strbuf_free(&large);
	diag_free(&dl);
	return rc;
}
