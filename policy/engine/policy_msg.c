/*
 * policy_msg - the message context's own operations; see policy_msg.h.
 * They only read and change the message (and the store for
 * reservations), so the flows and the rules can use them without
 * depending on engine.c.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufstock.h"
#include "policy_msg.h"
#include "xalloc.h"

char *engine_strdup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

void policy_msg_reserve(struct policy_msg *m, enum policy_resv_kind kind, const char *key)
{
	struct policy_resv *r = xrealloc(m->resv.list, (m->resv.n + 1) * sizeof *m->resv.list);

	m->resv.list = r;
	r[m->resv.n].key = engine_strdup(key);
	r[m->resv.n].kind = kind;
	r[m->resv.n].rcpt = m->env.nrcpts > 0 ? m->env.nrcpts - 1 : 0;
	m->resv.n++;
}

/*
 * Gives back the reservations of recipient rcpt (ENGINE_ALL_RCPTS: all).
 * A give-back that fails is logged: the count then stays taken until it
 * expires, which errs on the side of the limit.
 */
void engine_release(struct policy_msg *m, size_t rcpt)
{
	const struct store *st = policy_msg_store(m);
	size_t i = 0;

	while (i < m->resv.n) {
		struct policy_resv *r = &m->resv.list[i];
		enum store_result res;

		if (rcpt != ENGINE_ALL_RCPTS && r->rcpt != rcpt) {
			i++;
			continue;
		}
		res = r->kind == POLICY_RESV_SLOT ? store_del(st, r->key)
						  : store_decr(st, r->key, 1, NULL);
		if (res == STORE_ERROR)
			policy_msg_log(m, PLOG_WARNING, "could not give back %s: %s", r->key,
				       store_result_name(res));
		free(r->key);
		*r = m->resv.list[--m->resv.n];
	}
}

const struct store *policy_msg_store(const struct policy_msg *m)
{
	return &m->conn->snap->store;
}

int64_t policy_msg_now_us(const struct policy_msg *m)
{
	return policy_snapshot_now_us(m->conn->snap);
}

void policy_msg_log(const struct policy_msg *m, enum plog_level level, const char *fmt, ...)
{
	char line[1800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	plog_msg(m->conn->log, level, "%s: %s", m->queue_id[0] ? m->queue_id : "NOQUEUE", line);
}

void engine_decide(struct policy_msg *m, const struct policy_decision *d)
{
	if (m->result.decided && decision_is_refusal(&m->result.final))
		return;
	m->result.final = *d;
	m->result.decided = true;
	if (decision_is_refusal(d) || d->action == POLICY_DISCARD)
		engine_release(m, ENGINE_ALL_RCPTS);
}

void engine_count(struct policy_msg *m, const void *data, size_t len)
{
	m->content.size += len;
	if (!m->content.buffering)
		return;
	if (m->content.size > (unsigned long long)m->limits.max_message_size) {
		/* over the limit: the size rule refuses; keep nothing more */
		m->content.buffering = false;
		bufstock_give(&m->content.kept);
		return;
	}
	bufstock_reserve(&m->content.kept, len);	/* a large message: a stocked buffer */
	strbuf_append(&m->content.kept, data, len);
}

void engine_count_header(struct policy_msg *m, const char *name, const char *value)
{
	const char *p, *nl;

	engine_count(m, name, strlen(name));
	engine_count(m, ": ", 2);
	for (p = value; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		engine_count(m, p, n);
		engine_count(m, "\r\n", 2);
	}
	engine_count(m, p, strlen(p));
	engine_count(m, "\r\n", 2);
}
