/*
 * plog - formats a message and hands it to the configured emit function.
 *
 * Control characters in the formatted text are replaced by '?' so that
 * hostile input (an address with a newline, say) cannot forge log lines.
 */
#include "autoconf.h"

#include <stdio.h>

#include "plog.h"

void plog_vmsg(const struct plog *lg, enum plog_level level, const char *fmt,
	       va_list ap)
{
	char line[2048];
	char *p;

	if (lg == NULL || lg->emit == NULL || level > lg->max_level)
		return;
	if (vsnprintf(line, sizeof line, fmt, ap) >= (int)sizeof line)
		/* Truncated: mark it so nobody mistakes it for the whole line. */
		snprintf(line + sizeof line - 5, 5, "...");
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	lg->emit(lg->arg, level, line);
}

void plog_msg(const struct plog *lg, enum plog_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plog_vmsg(lg, level, fmt, ap);
	va_end(ap);
}

const char *plog_level_name(enum plog_level level)
{
	switch (level) {
	case PLOG_CRIT:
		return "crit";
	case PLOG_ERR:
		return "error";
	case PLOG_WARNING:
		return "warning";
	case PLOG_NOTICE:
		return "notice";
	case PLOG_INFO:
		return "info";
	case PLOG_DEBUG:
		return "debug";
	}
	return "unknown";
}
