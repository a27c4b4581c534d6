/*
 * mreply - writes milter protocol packets to the MTA, with the contract of
 * libmilter's own writer (mi_wr_cmd in comm.c), in fewer system calls.
 *
 * libmilter's writer polls for writability before each writev(), and
 * writes each packet on its own: at end of message every change (a
 * header added or changed, a body chunk, the envelope sender) and then
 * the final reply.  This writer sends at once (MSG_DONTWAIT) and polls
 * only when the socket buffer is full, and it keeps the changes of end of
 * message (which the MTA reads without answering) in the writing thread
 * until the next packet that is no change, then sends them together: one
 * system call for the changes and the reply of a message.  A change is
 * never held past a packet of another kind, past MREPLY_HOLD_MAX bytes, or
 * to another socket.
 *
 * Held changes live in the thread until the packet that sends them; the
 * reader drops any still held before it reads the next packet.
 *
 * A write that fails is reported by the packet that sends it: a held
 * change looks written to its caller, and the final reply then fails,
 * which ends the session without a reply (the MTA applies its default
 * action; nothing is accepted that the policy did not finish).
 */
#ifndef SES_MREPLY_H
#define SES_MREPLY_H

#include <stddef.h>
#include <sys/time.h>

#define MREPLY_HOLD_MAX (64 * 1024)	/* changes held before they are sent anyway */

/*
 * Writes packet cmd with data buf[0..len) to sd, or holds it when it is
 * a change (see above).  timeout bounds each wait for the socket (NULL:
 * none); len over max, or data missing, is refused.  0, or -1.
 */
int mreply_packet(int sd, const struct timeval *timeout, int cmd, const char *buf, size_t len,
		  size_t max);

/* True for the commands that are changes of end of message (held). */
int mreply_is_change(int cmd);

/*
 * Drops changes this thread still holds (the reply that would have sent
 * them never came: an aborted end of message); called before each packet
 * is read, so they can never reach the next session on a reused socket.
 * True when there were some.
 */
int mreply_forget(void);

#endif
