/*
 * config - ses-milter.conf: the daemon's settings, one table of keys.
 *
 * A loaded config is immutable.  It is reached through a policy_snapshot
 * (snapshot.h), which is reference-counted and swapped whole on reload.
 *
 * Folder policy/conf/ (main header: this one): the files the operator
 * writes and their loaders: ses-milter.conf (config, conftab), the
 * limits both files set (limittab), account files (account) and their
 * line-preserving editor (datafile).  It may include util/ and events/
 * (an account change is an event).
 */
#ifndef SES_CONFIG_H
#define SES_CONFIG_H

#include <stdbool.h>

#include "conftab.h"
#include "diag.h"
#include "limittab.h"
#include "strbuf.h"

enum config_log_to { CONFIG_LOG_SYSLOG, CONFIG_LOG_STDERR };
enum config_on_failure { CONFIG_FAIL_TEMPFAIL, CONFIG_FAIL_ACCEPT };
enum config_over_quota { CONFIG_QUOTA_TEMPFAIL, CONFIG_QUOTA_HOLD };
enum config_dmarc_reject { CONFIG_DMARC_REJECT, CONFIG_DMARC_QUARANTINE, CONFIG_DMARC_REPORT };
enum config_dmarc_quarantine { CONFIG_DMARCQ_QUARANTINE, CONFIG_DMARCQ_REPORT };
enum config_dmarc_discovery { CONFIG_DMARC_TREEWALK, CONFIG_DMARC_PSL };
enum config_content_replies { CONFIG_REPLIES_EACH, CONFIG_REPLIES_END };

struct ses_config {
	char *path;		/* file it was read from */
	char *socket;
	char *socket_owner;
	char *socket_group;
	long long socket_mode;
	char *user;
	char *pid_file;
	int log_to;		/* enum config_log_to */
	int syslog_facility;	/* index into config_facilities */
	int log_level;		/* index into config_log_levels */
	char *data_dir;
	char *local_account;
	int on_failure;		/* enum config_on_failure */
	long long milter_timeout;
	int content_replies;		/* enum config_content_replies */
	char *memcached_servers;
	long long memcached_timeout_ms;
	long long memcached_pool_size;
	long long memcached_dead_retry;
	char *journal_file;		/* "" : DataDir/state.journal */
	long long restore_check_interval;
	int over_quota;			/* enum config_over_quota */
	long long blocklist_days;
	char *dkim_selector;		/* default selector for new keys */
	bool allow_world_readable_keys;
	char *service_spf_include;	/* the SPF include domains publish */
	char *service_mx;		/* the MX host domains point to */
	char *dns_server;		/* "" : the system resolver; else HOST[:PORT] */
	long long domain_recheck_interval;	/* seconds; 0: verified domains not re-checked */
	long long dns_timeout;		/* seconds per try */
	long long dns_tries;
	bool inbound_checks;
	char *authserv_id;		/* "" : the host name */
	int dmarc_reject;		/* enum config_dmarc_reject */
	int dmarc_quarantine;		/* enum config_dmarc_quarantine */
	int auth_dns_failure;		/* enum config_on_failure */
	char *public_suffix_list;
	int dmarc_discovery;		/* enum config_dmarc_discovery */
	long long dkim_max_signatures;
	bool verp;			/* VERP envelope senders outbound */
	bool feedback_deliver;		/* deliver processed reports onward */
	char *unsubscribe_url;		/* "" : mailto only */
	char *unsubscribe_listen;	/* "" : no endpoint; else HOST:PORT */
	char *metrics_listen;		/* "off" or "" : none; else HOST:PORT */
	char *api_listen;		/* "" : no HTTP API; else HOST:PORT */
	char *api_submit;		/* SendEmail's MTA: HOST:PORT */
	bool dsn_notify_success;	/* NOTIFY=SUCCESS,FAILURE outbound */
	long long suspend_bounce_rate;	/* percent; 0: never */
	long long suspend_min_sample;
	char *event_log;		/* "" : DataDir/events.log */
	bool event_log_sync;		/* fsync per event in the milter thread */
	long long callback_timeout;	/* seconds per POST */
	long long callback_retry_hours;
	long long callback_max_pending;
	char *callback_ca_file;		/* "" : the system's CAs */
	char *callback_secret_file;	/* "" : none */
	struct policy_limits limits;
	char *tracking_url;		/* "" : no tracking; %d: the sender domain */
	char *tracking_cname;		/* "" : no record to print */
	long long tracking_machine_seconds;
};

extern const struct conf_key config_keys[];
extern const char *const config_log_levels[];	/* "error" ... "debug" */
extern const char *const config_facilities[];	/* "mail", "daemon", "local0" ... */

/* The syslog priority for the configured LogLevel. */
int config_log_priority(const struct ses_config *conf);

/* The syslog facility value for the configured SyslogFacility. */
int config_syslog_facility(const struct ses_config *conf);

/*
 * Reads path (NULL for built-in defaults only).  Returns a config, or NULL
 * when any error was found; every error is added to diags.  Caller frees.
 */
struct ses_config *config_load(const char *path, struct diag_list *diags);
void config_free(struct ses_config *conf);

/* Appends the effective configuration, one "Key value" line per key. */
void config_dump(const struct ses_config *conf, struct strbuf *out);

/* Checks the limits for consistency; adds a diagnostic per problem. */
void config_check_limits(const struct policy_limits *lim, const char *file,
			 unsigned line, struct diag_list *diags);

#endif
