/*
 * bufstock - a small stock of large buffers, kept from one message for
 * the next.
 *
 * A whole message is kept in one strbuf while it arrives.  Grown from
 * nothing for every message, a large one costs the copies of each
 * doubling and, once the allocator has handed the memory back to the
 * system, a page fault for every page it touches again: more than
 * hashing the body.  A buffer of BUFSTOCK_MIN bytes or more is given
 * back here when its message ends and taken again, pages resident, by
 * the next message that grows that large.  At most BUFSTOCK_COUNT
 * buffers and BUFSTOCK_BYTES bytes are kept, the largest ones; the
 * stock is shared by all threads under a lock held only to swap a
 * pointer.
 */
#ifndef SES_BUFSTOCK_H
#define SES_BUFSTOCK_H

#include <stddef.h>

#include "strbuf.h"

#define BUFSTOCK_MIN	((size_t)256 * 1024)
#define BUFSTOCK_COUNT	4
#define BUFSTOCK_BYTES	((size_t)64 * 1024 * 1024)

/*
 * Makes room in sb for extra more bytes and the terminator, as
 * strbuf_reserve does; when sb must grow to BUFSTOCK_MIN or more, the
 * largest stocked buffer that holds it is taken (sb's bytes copied into
 * it, its old buffer freed).
 */
void bufstock_reserve(struct strbuf *sb, size_t extra);

/* Frees sb's buffer or, if large, keeps it for bufstock_reserve; sb is left empty. */
void bufstock_give(struct strbuf *sb);

/* Frees every stocked buffer (at exit, and for tests). */
void bufstock_drain(void);

/* The number of buffers and bytes in stock now. */
void bufstock_count(size_t *buffers, size_t *bytes);

#endif
