/*
 * report - what delivery status notifications (dsn.h) and feedback
 * reports (arf.h) share: the multipart/report container (RFC 6522), the
 * header-style fields of its machine-readable part, and the headers of
 * the message it returns.
 *
 * MIME is GMime's job (report_find): the message is parsed, a
 * multipart/report is looked for at the top or as a direct child of a
 * top-level multipart (gateways wrap reports with a disclaimer), and in
 * it the first leaf part of a wanted type (message/delivery-status, ...)
 * and the returned message: message/rfc822 or message/global, or just its
 * headers, text/rfc822-headers or message/global-headers.
 * report_find_opts also takes what real MTAs send (DSNs use it): a
 * multipart/mixed as the container, a report forwarded inside
 * message/rfc822 (at most REPORT_FORWARD_MAX levels, breadth first: a
 * report of the message itself wins), CR-only and mixed line ends.
 *
 * The machine-readable part is not a MIME entity but a list of
 * blank-line separated groups of "Name: value" fields (RFC 3464 section
 * 2, RFC 5965 section 3.1).  GMime has no public parser for a bare field
 * block, so report_fields_parse is a small hand-written one: lines end in
 * LF, CRLF or CR; a line starting with a blank continues the field before
 * it; a line with only blanks ends a group; a line that is neither field
 * nor continuation is skipped.
 *
 * Hostile input: only the first REPORT_SCAN_MAX bytes of a message are
 * parsed (the report parts come before the returned message, whose
 * headers come first too), at most REPORT_PART_MAX bytes of a part are
 * read, group and field counts are capped, nothing recurses on the
 * sender's nesting, and every string handed out is cleaned: valid UTF-8
 * (a bad byte becomes '?'), no control characters (runs of blanks and
 * line ends become one space), trimmed, at most REPORT_VALUE_MAX bytes.
 *
 * GMime must have been initialised (mime_count_init) before use.
 *
 * Diagnostics: none; what was cut short is flagged in the results.
 */
#ifndef SES_REPORT_H
#define SES_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define REPORT_SCAN_MAX (1024 * 1024)	/* bytes of a message parsed */
#define REPORT_PART_MAX (64 * 1024)	/* bytes of a report part read */
#define REPORT_HEADERS_MAX (256 * 1024) /* bytes of text/rfc822-headers read */
#define REPORT_VALUE_MAX 998		/* bytes of a cleaned value */
#define REPORT_FIELDS_MAX 1000		/* fields kept per group */

/* One "Name: value" field; the value unfolded and cleaned. */
struct report_field {
	char *name;
	char *value;
};

struct report_group {
	struct report_field *v;
	size_t n;
};

struct report_fields {
	struct report_group *groups;
	size_t n;
	bool truncated;	/* groups or fields beyond the caps were dropped */
};

/* A list of cleaned strings. */
struct report_list {
	char **v;
	size_t n;
};

/* Headers of the returned message; "" when absent. */
struct report_orig {
	bool present;		/* a returned message or its headers came along */
	char *message_id;
	char *from;
	char *to;
	char *subject;
	char *return_path;
	char *list_unsubscribe;
};

/* What report_find found. */
struct report_msg {
	char *report_type;	/* the report-type parameter, lower case; "" if none */
	char *part_type;	/* the found part's type, lower case */
	struct strbuf part;	/* its decoded content, at most REPORT_PART_MAX bytes */
	bool part_truncated;
	bool input_truncated;	/* the message was longer than REPORT_SCAN_MAX */
	unsigned depth;		/* message/rfc822 levels the report was found below */
	char *to;		/* the To header of the message holding the report; "" */
	struct report_orig orig;
};

/* What report_find_opts accepts beyond a textbook report (flags). */
#define REPORT_FIND_MIXED 1u	 /* a multipart/mixed holding the part is a container */
#define REPORT_FIND_FORWARDED 2u /* look inside message/rfc822 parts, REPORT_FORWARD_MAX deep */
#define REPORT_FIND_LINE_ENDS 4u /* CR-only and mixed line ends read as LF */
#define REPORT_FORWARD_MAX 2

/*
 * Parses text[0..len) into groups (at most max_groups; later ones are
 * dropped and flagged).  out is initialised here; free it with
 * report_fields_free.
 */
void report_fields_parse(const char *text, size_t len, size_t max_groups,
			 struct report_fields *out);
void report_fields_free(struct report_fields *f);

/* The value of g's first field called name (ASCII case ignored), or NULL. */
const char *report_group_get(const struct report_group *g, const char *name);

/*
 * Looks for a multipart/report in msg[0..len) holding a leaf part whose
 * type is one of part_types (NULL-terminated, lower case).  Returns true
 * and fills out when found; out is initialised either way: free it with
 * report_msg_free.
 */
bool report_find(const char *msg, size_t len, const char *const *part_types,
		 struct report_msg *out);
/*
 * report_find with flags (REPORT_FIND_*).  A report found inside a
 * forwarded message sets out->depth; out->to then tells whom the
 * forwarded report was sent to, for the caller to check.
 */
bool report_find_opts(const char *msg, size_t len, const char *const *part_types,
		      unsigned flags, struct report_msg *out);
void report_msg_free(struct report_msg *m);

/* Appends s[0..len) cleaned as described above. */
void report_clean(const char *s, size_t len, struct strbuf *out);

/* A cleaned copy of s (NULL gives "").  Caller frees. */
char *report_strdup(const char *s);

/* Appends a copy of s (cleaned) to l unless l holds max entries already. */
void report_list_add(struct report_list *l, const char *s, size_t max);
void report_list_free(struct report_list *l);

void report_orig_free(struct report_orig *o);

#endif
