/*
 * listen - opening the milter socket; see listen.h.
 *
 * TCP_NODELAY: libmilter writes each reply in pieces and never disables
 * Nagle's algorithm, so over TCP every session stalls on delayed ACKs
 * (about 40 ms, twice per message).  Linux copies TCP_NODELAY from a
 * listening socket to the sockets accept() returns, so setting it once on
 * libmilter's listener fixes every connection.
 *
 * Diagnostics: "cannot listen on SPEC", "cannot set owner of PATH: ...",
 * "bad Socket SPEC".
 */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen.h"
#include "logging.h"

int listen_normalize(const char *spec, char *out, size_t outlen)
{
	const char *rest, *colon;
	int n;

	if (spec[0] == '/')
		n = snprintf(out, outlen, "unix:%s", spec);
	else if (strncmp(spec, "inet:", 5) == 0 && strchr(spec + 5, '@') == NULL &&
		 (colon = strrchr(spec + 5, ':')) != NULL) {
		rest = spec + 5;
		n = snprintf(out, outlen, "inet:%s@%.*s", colon + 1, (int)(colon - rest), rest);
	} else
		n = snprintf(out, outlen, "%s", spec);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

const char *listen_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* Applies owner, group and mode to the unix socket at path. */
static int listen_unix_perms(const struct ses_config *conf, const char *path)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (*conf->socket_owner != '\0') {
		struct passwd *pw = getpwnam(conf->socket_owner);

		if (pw == NULL) {
			logging_msg(PLOG_ERR, "SocketOwner %s: no such user", conf->socket_owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (*conf->socket_group != '\0') {
		struct group *gr = getgrnam(conf->socket_group);

		if (gr == NULL) {
			logging_msg(PLOG_ERR, "SocketGroup %s: no such group", conf->socket_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		logging_msg(PLOG_ERR, "cannot set owner of %s: %s", path, strerror(errno));
		return -1;
	}
	if (chmod(path, (mode_t)conf->socket_mode) != 0) {
		logging_msg(PLOG_ERR, "cannot set mode of %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Sets TCP_NODELAY on every listening TCP socket the process holds. */
static void listen_nodelay(void)
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
			logging_msg(PLOG_WARNING, "cannot set TCP_NODELAY: %s", strerror(errno));
	}
}

int listen_open(const struct ses_config *conf)
{
	char spec[1024];
	const char *path;

	if (listen_normalize(conf->socket, spec, sizeof spec) != 0) {
		logging_msg(PLOG_ERR, "bad Socket %s", conf->socket);
		return -1;
	}
	if (smfi_setconn(spec) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		logging_msg(PLOG_ERR, "cannot listen on %s (is another instance running?)", spec);
		return -1;
	}
	path = listen_unix_path(spec);
	if (path != NULL)
		return listen_unix_perms(conf, path);
	listen_nodelay();
	return 0;
}
