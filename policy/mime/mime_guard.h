/*
 * mime_guard - bounds on the MIME structure of a message from outside,
 * checked before GMime parses it, and the few Content-Type and
 * Content-Disposition parameters the policy needs, read from raw values.
 *
 * GMime rewrites what it is asked about: g_mime_multipart_get_boundary()
 * invents a boundary for a multipart without one and re-encodes the whole
 * parameter list, and GMime 3.2's RFC 2231 encoder never ends for a long
 * parameter name with an 8-bit value (memory grows until abort).  Its
 * parser also costs memory per header field and per part, and time per
 * nesting level.  So every message is scanned here first, in one linear
 * pass, and refused when it is malformed or beyond these bounds:
 *
 * Folder policy/mime/ (main header: this one): MIME with GMime: the
 * bounds a message must keep before it is parsed (mime_guard,
 * mime_param), the attachment count (mime_count), the body of a
 * rendered template (mime_build) and the HTML parts of custom content
 * rewritten in place (mime_rewrite).  It may include util/ only.
 */
#ifndef SES_MIME_GUARD_H
#define SES_MIME_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_GUARD_MAX_DEPTH 32		/* nested multipart and message parts */
#define MIME_GUARD_MAX_PARTS 1000	/* entities in the whole message */
#define MIME_GUARD_MAX_FIELDS 20000	/* header fields in the whole message */
#define MIME_GUARD_MAX_FIELD_BYTES 65536 /* one header field, folded */
#define MIME_GUARD_MAX_PARAMS 64	/* parameters of one Content-* field */
#define MIME_GUARD_MAX_NAME 64		/* bytes of a parameter name */
#define MIME_GUARD_MAX_BOUNDARY 70	/* RFC 2046 */

enum mime_guard_status {
	MIME_GUARD_OK = 0,
	MIME_GUARD_MALFORMED,		/* against RFC 2045/2046/2231 */
	MIME_GUARD_TOO_COMPLEX,		/* over one of the bounds above */
};

struct mime_guard_verdict {
	enum mime_guard_status status;
	char why[160];			/* printable ASCII, "" when OK */
	/*
	 * OK and one part: no multipart, no enclosed message, no
	 * Content-Disposition, no name parameter on its Content-Type; so no
	 * attachment to count or carry over (mime_count.c's rule gives 0).
	 */
	bool single;
};

/* Scans msg[0..len) (headers and body).  Returns v->status. */
enum mime_guard_status mime_guard_check(const char *msg, size_t len,
					struct mime_guard_verdict *v);

/* One parameter of a Content-* field, pointing into the raw value. */
struct mime_param {
	const char *name;		/* without the RFC 2231 "*N*" suffix */
	size_t nlen;
	int section;			/* -1: none */
	bool extended;			/* name ended in '*' */
	const char *val;		/* quotes included when quoted */
	size_t vlen;
};

/* A parsed Content-Type ("type/subtype") or Content-Disposition ("type"). */
struct mime_field {
	const char *type, *subtype;	/* subtype NULL for a disposition */
	size_t tlen, slen;
	struct mime_param p[MIME_GUARD_MAX_PARAMS];
	size_t np;
};

/*
 * Parses raw field value s[0..len) strictly (RFC 2045 tokens, quoted
 * strings, comments; RFC 2231 sections 0..N, each once).  Returns v->status.
 */
enum mime_guard_status mime_field_parse(const char *s, size_t len, bool with_subtype,
					struct mime_field *f, struct mime_guard_verdict *v);

/* True when raw field value s[0..len) parses and has parameter name (any section). */
bool mime_field_has_param(const char *s, size_t len, bool with_subtype, const char *name);

/*
 * The boundary of a raw multipart Content-Type value into out (NUL-terminated):
 * 0, or -1 when the field does not parse or has no valid boundary.
 */
int mime_field_boundary(const char *s, size_t len, char out[MIME_GUARD_MAX_BOUNDARY + 1]);

/* For mime_guard.c and mime_param.c: sets v to st with a printable reason. */
void mime_guard_set(struct mime_guard_verdict *v, enum mime_guard_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The valid boundary of parsed multipart field f into out.  Returns v->status. */
enum mime_guard_status mime_field_boundary_why(const struct mime_field *f,
					       char out[MIME_GUARD_MAX_BOUNDARY + 1],
					       struct mime_guard_verdict *v);

#endif
