/*
 * config - the ses-milter.conf key table and its loader.
 *
 * Diagnostics: "FILE:LINE: unknown key Foo", "FILE:LINE: MaxRecipients must
 * be between 1 and 100000", "FILE:LINE: Socket given twice (first on line N)".
 */
#include "autoconf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "xalloc.h"

const char *const config_log_levels[] = { "error", "warning", "notice", "info", "debug", NULL };
static const int config_log_prios[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

const char *const config_facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};
static const int config_facility_values[] = {
	LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
	LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7
};

static const char *const log_to_choices[] = { "syslog", "stderr", NULL };
static const char *const on_failure_choices[] = { "tempfail", "accept", NULL };
static const char *const over_quota_choices[] = { "tempfail", "hold", NULL };
static const char *const dmarc_reject_choices[] = { "reject", "quarantine", "report", NULL };
static const char *const dmarc_quarantine_choices[] = { "quarantine", "report", NULL };
static const char *const dmarc_discovery_choices[] = { "treewalk", "psl", NULL };
static const char *const content_replies_choices[] = { "each", "end", NULL };

#define OFF(field) offsetof(struct ses_config, field)
#define LIM(field) (offsetof(struct ses_config, limits) + offsetof(struct policy_limits, field))

const struct conf_key config_keys[] = {
	{ "Socket", CONF_STRING, "unix:/run/ses-milter/ses-milter.sock", 0, 0, NULL, OFF(socket),
	  "Where to listen: unix:PATH, inet:PORT@HOST, inet:HOST:PORT or inet6:PORT@HOST." },
	{ "SocketOwner", CONF_STRING, "", 0, 0, NULL, OFF(socket_owner),
	  "Owner of a unix socket (a user name); empty keeps the user that started ses-milter." },
	{ "SocketGroup", CONF_STRING, "", 0, 0, NULL, OFF(socket_group),
	  "Group of a unix socket, e.g. postfix, so the MTA can connect; empty keeps the default." },
	{ "SocketMode", CONF_MODE, "0660", 0, 0777, NULL, OFF(socket_mode),
	  "Permissions of a unix socket." },
	{ "UserID", CONF_STRING, "", 0, 0, NULL, OFF(user),
	  "User (optionally user:group) to switch to after opening the socket when started as root; empty keeps the current user." },
	{ "PidFile", CONF_STRING, "", 0, 0, NULL, OFF(pid_file),
	  "File to write the process ID to; empty writes none." },
	{ "LogTo", CONF_ENUM, "syslog", 0, 0, log_to_choices, OFF(log_to),
	  "Where log lines go." },
	{ "SyslogFacility", CONF_ENUM, "mail", 0, 0, config_facilities, OFF(syslog_facility),
	  "Syslog facility when LogTo is syslog." },
	{ "LogLevel", CONF_ENUM, "info", 0, 0, config_log_levels, OFF(log_level),
	  "Most verbose level logged; info logs one summary line per message." },
	{ "DataDir", CONF_STRING, "/var/lib/ses-milter", 0, 0, NULL, OFF(data_dir),
	  "Directory of operator data managed with sesctl(8): accounts/ holds one file per account." },
	{ "LocalAccount", CONF_STRING, "", 0, 0, NULL, OFF(local_account),
	  "Account that locally submitted mail (sendmail(1), Postfix non_smtpd_milters) belongs to; empty treats it as inbound." },
	{ "OnFailure", CONF_ENUM, "tempfail", 0, 0, on_failure_choices, OFF(on_failure),
	  "What to do when a check cannot be made (backend or internal failure): tempfail (451 4.3.0) or accept." },
	{ "MilterTimeout", CONF_INT, "300", 1, 7200, NULL, OFF(milter_timeout),
	  "Seconds libmilter waits for the MTA before dropping a connection." },
	{ "ContentReplies", CONF_ENUM, "each", 0, 0, content_replies_choices, OFF(content_replies),
	  "Headers and body chunks: each (a reply to every one; a refusal comes at the header or chunk that fails, as milter test clients expect) or end (the MTA sends them without waiting for a reply, about a sixth less CPU per message; a refusal decided there is given at end of message, the same reply at the same moment for the SMTP client).  With an MTA that does not offer it (protocol 6: Postfix and Sendmail 8.14 and later do) libmilter answers each of those stages with continue, and the refusal still comes at end of message." },
	{ "MemcachedServers", CONF_STRING, "127.0.0.1:11211", 0, 0, NULL, OFF(memcached_servers),
	  "Shared-state servers, host:port separated by commas; every gateway lists the same ones." },
	{ "MemcachedTimeout", CONF_INT, "300", 10, 5000, NULL, OFF(memcached_timeout_ms),
	  "Milliseconds to wait for a memcached server before it counts as down." },
	{ "MemcachedPoolSize", CONF_INT, "128", 1, 1024, NULL, OFF(memcached_pool_size),
	  "Connections to memcached shared by the milter's threads (opened as needed, up to this many)." },
	{ "MemcachedDeadRetry", CONF_INT, "5", 1, 3600, NULL, OFF(memcached_dead_retry),
	  "Seconds before a memcached server that failed is tried again." },
	{ "JournalFile", CONF_STRING, "", 0, 0, NULL, OFF(journal_file),
	  "Durable journal of blocklist, unsubscribe, suppression and suspension changes; empty: DataDir/state.journal." },
	{ "RestoreCheckInterval", CONF_INT, "5", 1, 3600, NULL, OFF(restore_check_interval),
	  "Seconds between checks for a changed memcached server list; a restarted server (no restore mark) is noticed by the next lookup and restored at once." },
	{ "OverQuota", CONF_ENUM, "tempfail", 0, 0, over_quota_choices, OFF(over_quota),
	  "Over the daily quota: tempfail (451 4.7.1, the client retries) or hold (Postfix's hold queue, released the next day)." },
	{ "BlocklistDays", CONF_INT, "180", 1, 3650, NULL, OFF(blocklist_days),
	  "Days a hard-bounced recipient stays on the global blocklist." },
	{ "DkimSelector", CONF_STRING, "ses", 0, 0, NULL, OFF(dkim_selector),
	  "Selector of the DKIM keys sesctl domain add makes (keys live in DataDir/keys/DOMAIN/)." },
	{ "AllowWorldReadableKeys", CONF_BOOL, "no", 0, 0, NULL, OFF(allow_world_readable_keys),
	  "Accept DKIM private keys that others can read (otherwise such a key stops start-up)." },
	{ "ServiceSpfInclude", CONF_STRING, "", 0, 0, NULL, OFF(service_spf_include),
	  "Domain sender domains include in their SPF record (v=spf1 include:DOMAIN ~all)." },
	{ "ServiceMx", CONF_STRING, "", 0, 0, NULL, OFF(service_mx),
	  "Host sender domains name as MX, so bounces and unsubscribes come back to the service." },
	{ "DnsServer", CONF_STRING, "", 0, 0, NULL, OFF(dns_server),
	  "Name server for domain verification and the inbound SPF, DKIM and DMARC lookups, HOST or HOST:PORT; empty uses the system resolver." },
	{ "DnsTimeout", CONF_INT, "3", 1, 30, NULL, OFF(dns_timeout),
	  "Seconds to wait for one DNS answer of the inbound checks." },
	{ "DnsTries", CONF_INT, "2", 1, 5, NULL, OFF(dns_tries),
	  "Times each DNS query of the inbound checks is sent before it counts as failed." },
	{ "InboundChecks", CONF_BOOL, "yes", 0, 0, NULL, OFF(inbound_checks),
	  "Check SPF, DKIM and DMARC on inbound mail (mail of no account) and add Authentication-Results." },
	{ "AuthservId", CONF_STRING, "", 0, 0, NULL, OFF(authserv_id),
	  "The authserv-id of the Authentication-Results header; empty uses the host name.  Incoming headers claiming it are removed." },
	{ "DmarcReject", CONF_ENUM, "reject", 0, 0, dmarc_reject_choices, OFF(dmarc_reject),
	  "Inbound mail failing DMARC under p=reject: reject (550 5.7.1), quarantine (hold queue) or report (only the header)." },
	{ "DmarcQuarantine", CONF_ENUM, "quarantine", 0, 0, dmarc_quarantine_choices, OFF(dmarc_quarantine),
	  "Inbound mail failing DMARC under p=quarantine: quarantine (hold queue) or report (only the header)." },
	{ "AuthDnsFailure", CONF_ENUM, "tempfail", 0, 0, on_failure_choices, OFF(auth_dns_failure),
	  "When DNS failures leave the DMARC verdict open (temperror): tempfail (451 4.4.3, the sender retries) or accept." },
	{ "PublicSuffixList", CONF_STRING, "/usr/share/publicsuffix/public_suffix_list.dat", 0, 0, NULL, OFF(public_suffix_list),
	  "The Public Suffix List that gives organisational domains for DMARC when DmarcDiscovery is psl (Debian package publicsuffix)." },
	{ "DmarcDiscovery", CONF_ENUM, "treewalk", 0, 0, dmarc_discovery_choices, OFF(dmarc_discovery),
	  "How DMARC finds the policy record and organisational domains: treewalk (RFC 9989: a DNS tree walk of at most 8 queries; psd=, np= and t= honoured, pct= ignored) or psl (RFC 7489: the author domain, then its organisational domain from PublicSuffixList; pct= sampling)." },
	{ "DkimMaxSignatures", CONF_INT, "8", 1, 64, NULL, OFF(dkim_max_signatures),
	  "DKIM signatures of one inbound message that are checked; further ones are ignored." },
	{ "Verp", CONF_BOOL, "yes", 0, 0, NULL, OFF(verp),
	  "Rewrite the envelope sender of outbound mail to a VERP address on the sender domain, so bounces come back naming message and recipient." },
	{ "FeedbackDeliver", CONF_BOOL, "no", 0, 0, NULL, OFF(feedback_deliver),
	  "Deliver bounces, complaints and unsubscribe mails onward after recording them (otherwise they are discarded)." },
	{ "DsnNotifySuccess", CONF_BOOL, "no", 0, 0, NULL, OFF(dsn_notify_success),
	  "Ask for NOTIFY=SUCCESS,FAILURE on every accepted outbound recipient, so success DSNs come back as delivered events." },
	{ "SuspendBounceRate", CONF_INT, "8", 0, 100, NULL, OFF(suspend_bounce_rate),
	  "Percent of an account's accepted recipients (today and yesterday, UTC) that hard-bounce before it is suspended; 0 never suspends." },
	{ "SuspendMinSample", CONF_INT, "100", 1, 100000000, NULL, OFF(suspend_min_sample),
	  "Accepted recipients (today and yesterday) an account needs before its bounce rate can suspend it." },
	{ "UnsubscribeListen", CONF_STRING, "", 0, 0, NULL, OFF(unsubscribe_listen),
	  "IPv4 HOST:PORT of the one-click unsubscribe endpoint (plain HTTP, put TLS in front); empty: no endpoint." },
	{ "MetricsListen", CONF_STRING, "127.0.0.1:9465", 0, 0, NULL, OFF(metrics_listen),
	  "IPv4 HOST:PORT of the operator's HTTP endpoints /metrics (Prometheus text format) and /healthz (plain HTTP: keep it on loopback or a management network); off: no endpoint.  The daemon runs on when it cannot listen there (logged)." },
	{ "UnsubscribeUrl", CONF_STRING, "", 0, 0, NULL, OFF(unsubscribe_url),
	  "Base https URL of the one-click unsubscribe endpoint; empty: List-Unsubscribe carries the mailto address only." },
	{ "DomainRecheckInterval", CONF_DURATION, "6h", 0, 7 * 86400, NULL,
	  OFF(domain_recheck_interval),
	  "How often the daemon looks up the records of every verified sender domain again and logs drift (it reports only: the domain stays verified); 0 turns it off." },
	{ "EventLog", CONF_STRING, "", 0, 0, NULL, OFF(event_log),
	  "Durable log of events (accepted, rejected, ...), one JSON object per line; empty: DataDir/events.log.  The delivery state lives beside it (EVENTLOG.cursor, EVENTLOG.retry)." },
	{ "EventLogSync", CONF_BOOL, "no", 0, 0, NULL, OFF(event_log_sync),
	  "fsync the event log after every event in the milter thread that writes it; no: the delivery thread syncs it about every second, before it delivers what it read." },
	{ "CallbackTimeout", CONF_INT, "10", 1, 300, NULL, OFF(callback_timeout),
	  "Seconds one callback POST may take in all (connecting takes at most 5 of them)." },
	{ "CallbackRetryHours", CONF_INT, "24", 1, 720, NULL, OFF(callback_retry_hours),
	  "Hours an event that cannot be delivered to a callback URL is retried (backoff from 10 s doubling to 1 h) before it is given up and logged." },
	{ "CallbackMaxPending", CONF_INT, "100000", 100, 10000000, NULL, OFF(callback_max_pending),
	  "Deliveries waiting for a retry, over all URLs; when reached, reading the event log pauses (nothing is lost) until some are done." },
	{ "CallbackCaFile", CONF_STRING, "", 0, 0, NULL, OFF(callback_ca_file),
	  "PEM file of CA certificates that HTTPS callback URLs are verified against, instead of the system's; verification is never turned off." },
	{ "CallbackSecretFile", CONF_STRING, "", 0, 0, NULL, OFF(callback_secret_file),
	  "File whose first line is the secret that signs callbacks of accounts without their own CallbackSecret; empty: such callbacks are sent unsigned." },
	LIMITTAB_ROWS(LIM),
	{ "TrackingUrl", CONF_STRING, "", 0, 0, NULL, OFF(tracking_url),
	  "Base URL of open and click tracking links, served by the UnsubscribeListen endpoint (/o/ and /c/); %d stands for the sender domain (https://track.%d: one CNAME per domain, see sesctl domain records); empty: no tracking whatever the accounts say." },
	{ "TrackingCname", CONF_STRING, "", 0, 0, NULL, OFF(tracking_cname),
	  "The host name the per-domain tracking host (TrackingUrl with %d) is a CNAME to; sesctl domain records prints it and sesctl domain verify checks it." },
	{ "TrackingMachineSeconds", CONF_DURATION, "30s", 0, 86400, NULL,
	  OFF(tracking_machine_seconds),
	  "Opens and clicks this soon after sending are taken for scanners and marked machine: true (not counted as human)." },
	{ "ApiListen", CONF_STRING, "", 0, 0, NULL, OFF(api_listen),
	  "IPv4 HOST:PORT of the HTTP API speaking Tencent Cloud API 3.0 for SES (plain HTTP: loopback, or behind a TLS proxy that keeps the Host header); empty: no API." },
	{ "ApiSubmit", CONF_STRING, "127.0.0.1:25", 0, 0, NULL, OFF(api_submit),
	  "IPv4 HOST:PORT of the MTA's SMTP listener that SendEmail submits to, as the key's account with XCLIENT LOGIN= (Postfix: smtpd_authorized_xclient_hosts must name the gateway)." },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};

int config_log_priority(const struct ses_config *conf)
{
	return config_log_prios[conf->log_level];
}

int config_syslog_facility(const struct ses_config *conf)
{
	return config_facility_values[conf->syslog_facility];
}

void config_free(struct ses_config *conf)
{
	if (conf == NULL)
		return;
	conftab_free(config_keys, conf);
	free(conf->path);
	free(conf);
}

void config_check_limits(const struct policy_limits *lim, const char *file,
			 unsigned line, struct diag_list *diags)
{
	if (lim->subject_min_chars > lim->subject_max_chars)
		diag_add(diags, file, line,
			 "SubjectMinChars (%lld) is larger than SubjectMaxChars (%lld)",
			 lim->subject_min_chars, lim->subject_max_chars);
}

#define CONFIG_MAX_KEYS 64

/* The line each key was set on (0: default), indexed like config_keys. */
struct config_lines {
	unsigned line[CONFIG_MAX_KEYS];
};

static unsigned config_line_of(const struct config_lines *lines, const char *key)
{
	const struct conf_key *k = conftab_find(config_keys, key);

	return k != NULL ? lines->line[k - config_keys] : 0;
}

static void config_check(struct ses_config *conf, const struct config_lines *lines,
			 struct diag_list *diags)
{
	const char *s = conf->socket;

	if (strncmp(s, "unix:", 5) != 0 && strncmp(s, "local:", 6) != 0 &&
	    strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0 && s[0] != '/')
		diag_add(diags, conf->path, config_line_of(lines, "Socket"),
			 "Socket \"%s\" must start with unix:, inet: or inet6:", s);
	if (*conf->data_dir != '/')
		diag_add(diags, conf->path, config_line_of(lines, "DataDir"),
			 "DataDir \"%s\" must be an absolute path", conf->data_dir);
	config_check_limits(&conf->limits, conf->path,
			    config_line_of(lines, "SubjectMaxChars") > config_line_of(lines, "SubjectMinChars")
				    ? config_line_of(lines, "SubjectMaxChars")
				    : config_line_of(lines, "SubjectMinChars"),
			    diags);
}

/* Reads the file line by line into conf; returns the number of errors added. */
static size_t config_read(struct ses_config *conf, FILE *fp, const char *path,
			  struct config_lines *lines, struct diag_list *diags)
{
	unsigned *seen = lines->line;
	size_t before = diags->n;
	char *line = NULL, *key, *value;
	size_t cap = 0;
	unsigned lineno = 0;
	char err[256];

	while (getline(&line, &cap, fp) != -1) {
		const struct conf_key *k;
		size_t idx;

		lineno++;
		if (!conftab_split(line, &key, &value))
			continue;
		k = conftab_find(config_keys, key);
		if (k == NULL) {
			diag_add(diags, path, lineno, "unknown key %s", key);
			continue;
		}
		idx = (size_t)(k - config_keys);
		if (idx < CONFIG_MAX_KEYS && seen[idx] != 0) {
			diag_add(diags, path, lineno, "%s given twice (first on line %u)",
				 k->name, seen[idx]);
			continue;
		}
		if (idx < CONFIG_MAX_KEYS)
			seen[idx] = lineno;
		if (conftab_set(k, conf, value, err, sizeof err) != 0)
			diag_add(diags, path, lineno, "%s", err);
	}
	free(line);
	return diags->n - before;
}

struct ses_config *config_load(const char *path, struct diag_list *diags)
{
	struct config_lines lines = { { 0 } };
	struct ses_config *conf;
	size_t before = diags->n;
	FILE *fp;

	conf = xcalloc(1, sizeof *conf);
	conftab_defaults(config_keys, conf);
	conf->path = xstrdup(path != NULL ? path : "(defaults)");
	if (path != NULL) {
		fp = fopen(path, "r");
		if (fp == NULL) {
			diag_add(diags, path, 0, "cannot open: %s", strerror(errno));
			config_free(conf);
			return NULL;
		}
		config_read(conf, fp, path, &lines, diags);
		fclose(fp);
	}
	config_check(conf, &lines, diags);
	if (diags->n > before) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

void config_dump(const struct ses_config *conf, struct strbuf *out)
{
	const struct conf_key *k;

	for (k = config_keys; k->name != NULL; k++)
		conftab_format(k, conf, out);
}
