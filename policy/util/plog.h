/*
 * plog - the logger the policy library is handed.
 *
 * policy/ never opens syslog or writes to a terminal: the daemon (or a test)
 * supplies an emit function.  Levels are syslog's, so the adapter can pass
 * them straight through.
 */
#ifndef SES_PLOG_H
#define SES_PLOG_H

#include <stdarg.h>
#include <syslog.h>

enum plog_level {
	PLOG_CRIT = LOG_CRIT,
	PLOG_ERR = LOG_ERR,
	PLOG_WARNING = LOG_WARNING,
	PLOG_NOTICE = LOG_NOTICE,
	PLOG_INFO = LOG_INFO,
	PLOG_DEBUG = LOG_DEBUG,
};

struct plog {
	/* msg is one line without a newline; emit must be thread-safe. */
	void (*emit)(void *arg, enum plog_level level, const char *msg);
	void *arg;
	enum plog_level max_level;	/* messages above it are dropped */
};

/* Logs through lg; lg may be NULL (message dropped).  One line per call. */
void plog_msg(const struct plog *lg, enum plog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void plog_vmsg(const struct plog *lg, enum plog_level level, const char *fmt,
	       va_list ap) __attribute__((format(printf, 3, 0)));
const char *plog_level_name(enum plog_level level);

#endif
