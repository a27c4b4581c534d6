/*
 * mread - reads one milter protocol packet from the MTA's socket, with the
 * contract of libmilter's own reader (mi_rd_cmd in comm.c), in fewer
 * system calls.
 *
 * libmilter's reader waits with poll() before each of its two reads (the
 * five-byte head, then the data).  With the worker pool libmilter has
 * already checked that the socket is readable before it asks for a
 * packet, and the MTA writes a packet whole, so this reader tries each
 * read at once (MSG_DONTWAIT) and only polls when the bytes are not there
 * yet: two system calls per packet instead of four.  It never reads past
 * the packet: the pool decides by the socket alone whether a session has
 * input waiting.
 */
#ifndef SES_MREAD_H
#define SES_MREAD_H

#include <stddef.h>
#include <sys/time.h>

/* The codes libmilter's reader leaves in *cmd when it has no packet (libmilter.h). */
enum mread_error {
	MREAD_TIMEOUT = 1,	/* SMFIC_TIMEOUT: nothing within the timeout */
	MREAD_SELECT = 2,	/* SMFIC_SELECT: the socket reported an error */
	MREAD_MALLOC = 3,	/* SMFIC_MALLOC */
	MREAD_RECVERR = 4,	/* SMFIC_RECVERR: a read failed */
	MREAD_EOF = 5,		/* SMFIC_EOF: the MTA closed the connection */
	MREAD_TOOBIG = 7,	/* SMFIC_TOOBIG: the packet's length is over max */
};

/*
 * Reads the next packet from sd, waiting at most timeout (NULL: for ever)
 * for each part.  Returns its data after the command byte, malloc()ed with
 * a NUL after it, the length in *rlen and the command in *cmd; NULL with
 * *cmd the command when the packet has no data; NULL with *cmd an
 * mread_error when there is no packet.  max is the largest data length
 * accepted.
 */
char *mread_packet(int sd, const struct timeval *timeout, size_t max, char *cmd, size_t *rlen);

#endif
