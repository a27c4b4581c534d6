/*
 * diag - diagnostics list; see diag.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>

#include "diag.h"
#include "strbuf.h"
#include "xalloc.h"

void diag_add(struct diag_list *dl, const char *file, unsigned line,
	      const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	char **msgs;
	va_list ap;

	if (file != NULL && line > 0)
		strbuf_appendf(&sb, "%s:%u: ", file, line);
	else if (file != NULL)
		strbuf_appendf(&sb, "%s: ", file);
	va_start(ap, fmt);
	strbuf_vappendf(&sb, fmt, ap);
	va_end(ap);
	msgs = xrealloc(dl->msgs, (dl->n + 1) * sizeof *msgs);
	dl->msgs = msgs;
	dl->msgs[dl->n++] = strbuf_detach(&sb);
}

void diag_free(struct diag_list *dl)
{
	size_t i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->n; i++)
		free(dl->msgs[i]);
	free(dl->msgs);
	dl->msgs = NULL;
	dl->n = 0;
}
