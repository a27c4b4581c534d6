/*
 * logging - syslog/stderr output for plog; see logging.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logging.h"

static struct plog logging_log;

static void logging_emit_stderr(void *arg, enum plog_level level, const char *msg)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	/* one fprintf per line: stdio's lock keeps threads' lines whole */
	fprintf(stderr, "%s ses-milter[%ld]: %s: %s\n", stamp, (long)getpid(),
		plog_level_name(level), msg);
}

static void logging_emit_syslog(void *arg, enum plog_level level, const char *msg)
{
	syslog((int)level, "%s", msg);
}

void logging_setup_default(void)
{
	logging_log.emit = logging_emit_stderr;
	logging_log.arg = NULL;
	logging_log.max_level = PLOG_INFO;
}

void logging_setup(const struct ses_config *conf)
{
	logging_log.max_level = (enum plog_level)config_log_priority(conf);
	if (conf->log_to == CONFIG_LOG_STDERR) {
		logging_log.emit = logging_emit_stderr;
		return;
	}
	openlog("ses-milter", LOG_PID | LOG_NDELAY, config_syslog_facility(conf));
	logging_log.emit = logging_emit_syslog;
}

const struct plog *logging_get(void)
{
	return &logging_log;
}

void logging_msg(enum plog_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plog_vmsg(&logging_log, level, fmt, ap);
	va_end(ap);
}
