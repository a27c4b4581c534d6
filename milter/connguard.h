/*
 * connguard - guards between libmilter and the milter socket.
 *
 * Three functions of libmilter's are replaced from this program (libmilter
 * calls them through its PLT, so the program's definitions win; see
 * HACKING.md, "Guards around libmilter"):
 *
 *   mi_rd_cmd   libmilter's packet reader: every packet is checked before
 *               libmilter decodes it (a macro packet with an odd string
 *               count is cut to whole pairs, mpacket.h), and the packet
 *               marks its connection as active; read by mread.h;
 *   mi_wr_cmd   libmilter's packet writer: mreply.h (the changes of end
 *               of message sent with its reply);
 *   accept      on the milter's listening sockets only: each connection is
 *               counted, and when more are open than connguard_init()
 *               allows, the connections idle the longest are shut down
 *               first, so that stalled clients cannot use up the file
 *               descriptors that healthy sessions need.
 */
#ifndef SES_CONNGUARD_H
#define SES_CONNGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>

/*
 * Finds libmilter's reader and remembers the listening sockets open now;
 * at most max_sessions milter connections stay open.  0, or -1 after
 * logging (fatal at start).
 */
int connguard_init(size_t max_sessions);

/* The connection bound for an open files limit: the limit less a reserve. */
size_t connguard_limit_for(unsigned long nofile);

/*
 * on: acknowledge every packet of a TCP connection at once (TCP_QUICKACK
 * after each read).  An MTA that writes packets it expects no reply to
 * (ContentReplies end) with Nagle's algorithm on waits for the ACK of
 * each before it sends the next, and the kernel would delay it by up to
 * 40 ms.  Set at each option negotiation from the configuration.
 */
void connguard_quick_acks(bool on);

/* libmilter's internal reader (comm.c), replaced here. */
char *mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen, char *name);
/* libmilter's internal writer (comm.c), replaced here: mreply.h. */
int mi_wr_cmd(int sd, struct timeval *timeout, int cmd, char *buf, size_t len);

#endif
