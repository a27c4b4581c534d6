/*
 * nullmilter - the benchmark's floor: a libmilter filter that does nothing
 * but add one header at end of message.
 *
 *   nullmilter [-d] unix:/path/to/sock | inet:PORT@127.0.0.1
 *
 * It takes part in the same protocol stages as ses-milter (connect, MAIL,
 * RCPT, each header, end of headers, body, end of message; HELO, DATA and
 * unknown commands negotiated away, as ses-milter does), so the MTA pays
 * the same round trips and the difference to ses-milter is the policy
 * work itself.  With -d it lets the MTA send HELO and DATA and answers
 * them: the benchmark compares both over TCP, because Postfix still sends
 * the macros of a skipped stage, a packet without a reply.  Like ses-milter it sets TCP_NODELAY on a TCP listener and
 * makes a unix socket reachable by the MTA (mode 0666).  It runs in the
 * foreground until SIGTERM.
 *
 * Diagnostics on stderr: "cannot listen on SPEC", "smfi_main failed".
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

static int null_answer_data; /* -d: HELO and DATA are not skipped */

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			       unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			       unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = f0 & SMFIF_ADDHDRS;
	if (null_answer_data)
		*pf1 = f1 & SMFIP_NOUNKNOWN;
	else
		*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_argv(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_ctx(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	return SMFIS_CONTINUE;
}

/* The one thing it does: adds a header, so the delivered mail shows it ran. */
static sfsistat null_eom(SMFICTX *ctx)
{
	if (smfi_addheader(ctx, "X-Bench-Null", "passed") != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_ACCEPT;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_argv,
	.xxfi_envrcpt = null_argv,
	.xxfi_header = null_header,
	.xxfi_eoh = null_ctx,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_ctx,
	.xxfi_close = null_ctx,
	.xxfi_negotiate = null_negotiate,
};

/* Sets TCP_NODELAY on every listening TCP socket (as ses-milter does). */
static void null_nodelay(void)
{
	int fd, one = 1;

	for (fd = 0; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int acc = 0;
		socklen_t alen = sizeof acc;

		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			continue;
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) != 0 || !acc)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
			fprintf(stderr, "nullmilter: TCP_NODELAY: %s\n", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	const char *spec;

	if (argc == 3 && strcmp(argv[1], "-d") == 0) {
		null_answer_data = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter [-d] unix:PATH | inet:PORT@HOST\n");
		return 2;
	}
	spec = argv[1];
	if (smfi_register(null_desc) != MI_SUCCESS || smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", spec);
		return 1;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		chmod(spec + 5, 0666);
	else
		null_nodelay();
	if (smfi_main() != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: smfi_main failed\n");
		return 1;
	}
	return 0;
}
