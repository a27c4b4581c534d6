/*
 * engine_edit - what the engine changes in a message: header bookkeeping
 * while the headers stream in, and the edits planned at end of message
 * (header changes and a new body) that the adapter applies.
 *
 * Header indexes follow the milter protocol: 1-based among the headers of
 * one name.  Removals go from the last occurrence to the first, so no
 * removal shifts the index of one still to come.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_msg.h"
#include "rfc2047.h"
#include "xalloc.h"

static struct policy_hdr_seen *edit_seen(const struct policy_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->hdrs.nseen; i++)
		if (strcasecmp(m->hdrs.seen[i].name, name) == 0)
			return &m->hdrs.seen[i];
	return NULL;
}

/* Keeps the first value of a control header, unfolded and trimmed. */
static void edit_keep(char **slot, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	size_t start = 0, end;

	if (*slot != NULL)
		return;
	rfc2047_unfold(value, strlen(value), &sb);
	end = sb.len;
	while (start < end && (sb.data[start] == ' ' || sb.data[start] == '\t'))
		start++;
	while (end > start && (sb.data[end - 1] == ' ' || sb.data[end - 1] == '\t'))
		end--;
	*slot = xmalloc(end - start + 1);
	memcpy(*slot, sb.data ? sb.data + start : "", end - start);
	(*slot)[end - start] = '\0';
	strbuf_free(&sb);
}

/* Keeps a copy of the header, line ends as CRLF, for the final headers. */
static void edit_record(struct policy_msg *m, const char *name, const char *value)
{
	struct strbuf v = STRBUF_INIT;
	struct policy_header *h;
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			strbuf_appendc(&v, '\r');
		strbuf_appendc(&v, *p);
	}
	h = xrealloc(m->hdrs.list, (m->hdrs.n + 1) * sizeof *h);
	m->hdrs.list = h;
	m->hdrs.list[m->hdrs.n].name = xstrdup(name);
	m->hdrs.list[m->hdrs.n].value = strbuf_detach(&v);
	m->hdrs.n++;
}

void policy_msg_note_header(struct policy_msg *m, const char *name, const char *value,
			    size_t bytes)
{
	struct policy_hdr_seen *h = edit_seen(m, name);

	if (h == NULL) {
		h = xrealloc(m->hdrs.seen, (m->hdrs.nseen + 1) * sizeof *m->hdrs.seen);
		m->hdrs.seen = h;
		h = &m->hdrs.seen[m->hdrs.nseen++];
		h->name = xstrdup(name);
		h->count = 0;
		h->bytes = 0;
	}
	h->count++;
	h->bytes += bytes;
	m->hdrs.bytes += bytes;
	edit_record(m, name, value);
	if (strcasecmp(name, POLICY_CONTROL_PREFIX "Template") == 0)
		edit_keep(&m->hdrs.tmpl_id, value);
	else if (strcasecmp(name, POLICY_CONTROL_PREFIX "Template-Data") == 0)
		edit_keep(&m->hdrs.tmpl_data, value);
	else if (strcasecmp(name, POLICY_CONTROL_PREFIX "Unsubscribe") == 0)
		edit_keep(&m->hdrs.unsub_opt, value);
	else if (strcasecmp(name, POLICY_CONTROL_PREFIX "Tracking") == 0)
		edit_keep(&m->hdrs.tracking_opt, value);
	else if (strcasecmp(name, "From") == 0)
		edit_keep(&m->hdrs.from, value);
}

unsigned policy_msg_header_count(const struct policy_msg *m, const char *name, size_t *bytes)
{
	const struct policy_hdr_seen *h = edit_seen(m, name);

	if (bytes != NULL)
		*bytes = h != NULL ? h->bytes : 0;
	return h != NULL ? h->count : 0;
}

static void edit_add(struct policy_msg *m, const char *name, unsigned index, const char *value)
{
	struct policy_hdr_edit *e;

	e = xrealloc(m->edits.hdrs, (m->edits.nhdrs + 1) * sizeof *e);
	m->edits.hdrs = e;
	e = &m->edits.hdrs[m->edits.nhdrs++];
	e->name = xstrdup(name);
	e->index = index;
	e->value = value != NULL ? xstrdup(value) : NULL;
	e->at_top = false;
}

void policy_msg_set_sender(struct policy_msg *m, const char *addr)
{
	free(m->edits.new_sender);
	m->edits.new_sender = xstrdup(addr);
}

void policy_msg_delete_header(struct policy_msg *m, const char *name, unsigned index)
{
	edit_add(m, name, index, NULL);
}

void policy_msg_insert_header(struct policy_msg *m, const char *name, const char *value)
{
	edit_add(m, name, 0, value);
	m->edits.hdrs[m->edits.nhdrs - 1].at_top = true;
}

/* The position in out of the index-th header named name (1-based), or -1. */
static long edit_locate(const struct policy_header *out, size_t n, const char *name,
		       unsigned index)
{
	unsigned seen = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(out[i].name, name) == 0 && ++seen == index)
			return (long)i;
	return -1;
}

/* Applies one planned edit to the header list out[0..*n). */
static void edit_apply(struct policy_header *out, size_t *n, const struct policy_hdr_edit *e)
{
	long at;

	if (e->at_top) {
		memmove(out + 1, out, *n * sizeof *out);
		out[0].name = e->name;
		out[0].value = e->value;
		(*n)++;
	} else if (e->index == 0) {
		out[*n].name = e->name;
		out[(*n)++].value = e->value;
	} else if ((at = edit_locate(out, *n, e->name, e->index)) >= 0) {
		if (e->value != NULL) {
			out[at].value = e->value;
		} else {
			memmove(out + at, out + at + 1, (*n - (size_t)at - 1) * sizeof *out);
			(*n)--;
		}
	}
}

size_t policy_msg_final_headers(const struct policy_msg *m, struct policy_header **out)
{
	size_t n = m->hdrs.n, i;

	*out = xmalloc((m->hdrs.n + m->edits.nhdrs + 1) * sizeof **out);
	memcpy(*out, m->hdrs.list, m->hdrs.n * sizeof **out);
	for (i = 0; i < m->edits.nhdrs; i++)
		edit_apply(*out, &n, &m->edits.hdrs[i]);
	return n;
}

const char *policy_msg_final_body(const struct policy_msg *m, size_t *len)
{
	const char *sep;

	if (m->edits.replace_body) {
		*len = m->edits.body.len;
		return strbuf_cstr(&m->edits.body);
	}
	/* the received body follows the header block in the kept content */
	if (m->content.kept.data == NULL || m->hdrs.bytes + 2 > m->content.kept.len) {
		*len = 0;
		return "";
	}
	sep = m->content.kept.data + m->hdrs.bytes + 2;
	*len = m->content.kept.len - m->hdrs.bytes - 2;
	return sep;
}

void policy_msg_set_header(struct policy_msg *m, const char *name, const char *value)
{
	unsigned n = policy_msg_header_count(m, name, NULL), i;

	for (i = n; i >= 2; i--)
		edit_add(m, name, i, NULL);
	edit_add(m, name, n >= 1 ? 1 : 0, value);
}

void policy_msg_remove_control_headers(struct policy_msg *m)
{
	size_t prefix = strlen(POLICY_CONTROL_PREFIX), i;
	unsigned k;

	for (i = 0; i < m->hdrs.nseen; i++) {
		if (strncasecmp(m->hdrs.seen[i].name, POLICY_CONTROL_PREFIX, prefix) != 0)
			continue;
		for (k = m->hdrs.seen[i].count; k >= 1; k--)
			edit_add(m, m->hdrs.seen[i].name, k, NULL);
	}
}

void policy_msg_replace_body(struct policy_msg *m, const char *body, size_t len)
{
	strbuf_reset(&m->edits.body);
	strbuf_append(&m->edits.body, body, len);
	m->edits.replace_body = true;
}

void policy_edits_free(struct policy_edits *e)
{
	size_t i;

	for (i = 0; i < e->nhdrs; i++) {
		free(e->hdrs[i].name);
		free(e->hdrs[i].value);
	}
	free(e->hdrs);
	e->hdrs = NULL;
	e->nhdrs = 0;
	strbuf_free(&e->body);
	e->replace_body = false;
	free(e->new_sender);
	e->new_sender = NULL;
	e->notify_success = false;
}
