/*
 * logging - the daemon's plog backend: syslog or stderr.
 *
 * Set up once at start from the first config; LogTo, SyslogFacility and
 * LogLevel take effect at the next start, not on reload (the logger is
 * shared by every thread and never changes while they run).
 */
#ifndef SES_LOGGING_H
#define SES_LOGGING_H

#include "config.h"
#include "plog.h"

/* Configures the logger from conf; foreground forces nothing. */
void logging_setup(const struct ses_config *conf);

/* Before a config is loaded: stderr, info. */
void logging_setup_default(void);

/* The process-wide logger handed to the policy engine. */
const struct plog *logging_get(void);

void logging_msg(enum plog_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
