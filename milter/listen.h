/*
 * listen - the milter socket: address forms, permissions, TCP_NODELAY.
 */
#ifndef SES_LISTEN_H
#define SES_LISTEN_H

#include <stddef.h>

#include "config.h"

/*
 * Rewrites spec into libmilter's form: "inet:HOST:PORT" becomes
 * "inet:PORT@HOST", a bare "/path" becomes "unix:/path".  0 or -1.
 */
int listen_normalize(const char *spec, char *out, size_t outlen);

/* The file system path of a unix socket spec, or NULL for inet. */
const char *listen_unix_path(const char *spec);

/*
 * Opens the socket (smfi_setconn + smfi_opensocket), applies SocketOwner,
 * SocketGroup and SocketMode to a unix socket, and sets TCP_NODELAY on an
 * inet one.  0, or -1 after logging why.
 */
int listen_open(const struct ses_config *conf);

#endif
