/*
 * main - ses-milter: command line, start-up, and the milter process.
 *
 *   ses-milter [-c FILE] [-f] [-n] [-p] [-V]
 *
 * Start-up order: read and check the configuration and data (fatal errors
 * only here), set up logging, detach, write the PID file, then supervise
 * the milter process, which opens the socket, drops privileges and runs
 * libmilter, beside its reload, journal-restore, domain re-check and
 * callback delivery threads.  See ses-milter(8).
 */
#include "autoconf.h"

#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "connguard.h"
#include "daemon.h"
#include "dkim_sign.h"
#include "inbound.h"
#include "listen.h"
#include "logging.h"
#include "metrics.h"
#include "metrics_http.h"
#include "mime_count.h"
#include "notify.h"
#include "recheck.h"
#include "reload.h"
#include "restore.h"
#include "snapshot.h"
#include "unsub_http.h"
#include "api_http.h"
#include "bufstock.h"

#define MAIN_DEFAULT_CONF SYSCONFDIR "/ses-milter/ses-milter.conf"

struct main_opts {
	const char *conf_path;
	bool foreground;
	bool check_only;
	bool print_config;
	const struct ses_config *conf;	/* of the first snapshot */
};

static void main_usage(FILE *fp)
{
	fprintf(fp, "usage: ses-milter [-c FILE] [-f] [-n] [-p] [-V]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -f       stay in the foreground\n"
		"  -n       check the configuration and data, then exit\n"
		"  -p       print the effective configuration, then exit\n"
		"  -V       print the version, then exit\n", MAIN_DEFAULT_CONF);
}

/* Extra start-up checks -n makes beyond what the loaders check. */
static int main_check_environment(const struct ses_config *conf)
{
	char spec[1024];
	int errors = 0;

	if (listen_normalize(conf->socket, spec, sizeof spec) != 0) {
		fprintf(stderr, "%s: Socket %s: too long\n", conf->path, conf->socket);
		errors++;
	}
	return errors;
}

/*
 * Stops without losing sessions in flight: libmilter abandons open
 * sessions once it is told to stop, so first refuse new connections,
 * wait until the open ones have closed (at most timeout seconds), and
 * only then stop libmilter.
 */
static void main_drain_and_stop(long long timeout)
{
	long long waited = 0;
	int n;

	callbacks_start_draining();
	recheck_stop_request();	/* no new lookups; joined when libmilter has stopped */
	notify_stop_request();	/* no new POSTs; joined likewise */
	restore_stop_request();	/* no new replays; joined likewise */
	while ((n = callbacks_active_sessions()) > 0 && waited < timeout * 10) {
		if (waited == 0)
			logging_msg(PLOG_NOTICE, "stopping: waiting for %d sessions to finish", n);
		usleep(100000);
		waited++;
	}
	if (n > 0)
		logging_msg(PLOG_WARNING, "stopping with %d sessions still open", n);
	smfi_stop();
}

/* Waits for SIGUSR1 (reload) and SIGUSR2 (stop); runs in its own thread. */
/*
 * Makes the feedback key on first start (a configuration check does not),
 * owned by UserID so that reloads after the privilege drop can read it.
 * Without it the feedback loop stays off; that is logged, not fatal.
 */
static void main_feedback_key(struct policy_snapshot *snap)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	bool created;

	if (policy_snapshot_make_key(snap, &created, &err) != 0) {
		logging_msg(PLOG_WARNING, "feedback loop off (no VERP, no unsubscribe): %s",
			    strbuf_cstr(&err));
	} else if (created) {
		mac_key_path(snap->conf->data_dir, &path);
		if (daemon_give_to_user(strbuf_cstr(&path), snap->conf->user) == 0)
			logging_msg(PLOG_NOTICE, "made the feedback key %s", strbuf_cstr(&path));
	}
	strbuf_free(&err);
	strbuf_free(&path);
}

static void *main_signal_thread(void *arg)
{
	const long long *timeout = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			reload_now();
			recheck_wake();	/* DomainRecheckInterval may have changed */
		} else if (sig == SIGUSR2) {
			main_drain_and_stop(*timeout);
			return NULL;
		}
	}
}

/*
 * Raises the soft open files limit to the hard one: every milter
 * connection holds a descriptor, and the usual soft limit of 1024 is far
 * below what a busy MTA opens.  Returns the limit in force.
 */
static unsigned long main_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = was;
		else
			logging_msg(PLOG_NOTICE, "raised the open files limit from %llu to %llu",
				    (unsigned long long)was, (unsigned long long)rl.rlim_cur);
	}
	return rl.rlim_cur > 1048576 ? 1048576UL : (unsigned long)rl.rlim_cur;
}

/* The milter process: socket, privileges, libmilter's main loop. */
static int main_worker(void *arg, unsigned restarts)
{
	struct policy_snapshot *start;
	const struct ses_config *conf;
	static long long timeout;
	unsigned long nofile;
	pthread_t tid;
	sigset_t set;
	int rc;

	/*
	 * Block the signals before any thread starts, so every thread inherits
	 * the mask: SIGUSR1 (reload) and SIGUSR2 (drain and stop) go to our
	 * signal thread, the others to libmilter's signal thread.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* the supervisor counts the restarts; this process inherits the count */
	metrics_set(METRIC_WORKER_RESTARTS, NULL, NULL, restarts);
	if (restarts > 0)
		reload_now();	/* pick up files changed since start-up */
	/* socket and privileges come from the config in force now */
	start = reload_current();
	conf = start->conf;
	if (smfi_register(callbacks_desc) != MI_SUCCESS) {
		logging_msg(PLOG_ERR, "smfi_register failed");
		return 1;
	}
	smfi_settimeout((int)conf->milter_timeout);
	if (listen_open(conf) != 0)
		return 1;
	nofile = main_raise_nofile();
	if (connguard_init(connguard_limit_for(nofile)) != 0)
		return 1;
	logging_msg(PLOG_INFO, "at most %zu milter connections (open files limit %lu)",
		    connguard_limit_for(nofile), nofile);
	if (daemon_drop_privileges(conf->user) != 0)
		return 1;
	timeout = conf->milter_timeout;
	if (pthread_create(&tid, NULL, main_signal_thread, &timeout) != 0) {
		logging_msg(PLOG_ERR, "cannot start the signal thread");
		return 1;
	}
	if (restore_start() != 0 || recheck_start() != 0 || notify_start() != 0 ||
	    unsub_http_start() != 0 || metrics_http_start() != 0 ||
	    api_http_start() != 0)
		return 1;
	logging_msg(PLOG_NOTICE, "ses-milter %s listening on %s", VERSION, conf->socket);
	rc = smfi_main();
	recheck_stop();
	notify_stop();
	restore_stop();
	unsub_http_stop();
	metrics_http_stop();
	api_http_stop();
	bufstock_drain();
	logging_msg(PLOG_NOTICE, "ses-milter stopped");
	policy_snapshot_unref(start);
	return rc == MI_SUCCESS ? 0 : 1;
}

/* Loads the first snapshot; prints every problem on stderr. */
static struct policy_snapshot *main_load(const char *path)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct policy_snapshot *snap;
	size_t i;

	snap = policy_snapshot_load(path, &diags);
	for (i = 0; i < diags.n; i++)
		fprintf(stderr, "%s\n", diags.msgs[i]);
	diag_free(&diags);
	return snap;
}

static int main_parse(int argc, char **argv, struct main_opts *o)
{
	int c;

	o->conf_path = MAIN_DEFAULT_CONF;
	while ((c = getopt(argc, argv, "c:fhnpV")) != -1) {
		switch (c) {
		case 'c':
			o->conf_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check_only = true;
			break;
		case 'p':
			o->print_config = true;
			break;
		case 'V':
			printf("ses-milter %s\n", VERSION);
			exit(0);
		case 'h':
			main_usage(stdout);
			exit(0);
		default:
			main_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		exit(2);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct main_opts o = { 0 };
	struct policy_snapshot *snap;
	int rc;

	main_parse(argc, argv, &o);
	logging_setup_default();
	snap = main_load(o.conf_path);
	if (snap == NULL || main_check_environment(snap->conf) != 0) {
		fprintf(stderr, "ses-milter: configuration has errors\n");
		return 1;
	}
	if (o.print_config || o.check_only) {
		struct strbuf sb = STRBUF_INIT;

		if (o.print_config)
			config_dump(snap->conf, &sb);
		else
			strbuf_appendf(&sb, "%s: configuration OK, %zu accounts\n",
				       snap->conf->path, snap->accounts->n);
		fputs(strbuf_cstr(&sb), stdout);
		strbuf_free(&sb);
		policy_snapshot_unref(snap);
		return 0;
	}
	o.conf = snap->conf;
	mime_count_init();
	if (dkim_sign_init() != 0) {
		fprintf(stderr, "ses-milter: cannot initialise the DKIM signer (OpenSSL SHA-256)\n");
		return 1;
	}
	if (inbound_init() != 0) {
		fprintf(stderr, "ses-milter: cannot initialise libopendmarc\n");
		return 1;
	}
	logging_setup(o.conf);
	main_feedback_key(snap);
	reload_init(o.conf_path, snap);
	if (!o.foreground && daemon_background() != 0) {
		logging_msg(PLOG_ERR, "cannot detach from the terminal");
		return 1;
	}
	if (daemon_write_pidfile(o.conf->pid_file) != 0)
		return 1;
	rc = daemon_supervise(main_worker, &o);
	daemon_remove_pidfile(o.conf->pid_file);
	return rc;
}
