/*
 * daemon - background, privileges, PID file, supervisor; see daemon.h.
 *
 * Diagnostics: "UserID X: no such user", "cannot write PID file ...",
 * "milter process N killed by signal S (NAME) after T s; restarting in D ms
 * (crash K in a row)" at LOG_CRIT.
 *
 * The supervisor never gives up: a gateway whose milter is down refuses
 * or defers every message, which is worse than a milter that keeps
 * crashing on one kind of input and serving everything else in between.
 * Restarts back off instead: DAEMON_BACKOFF_MIN_MS, doubled after each
 * crash up to DAEMON_BACKOFF_MAX_MS, and back to the minimum once a milter
 * process has run DAEMON_STABLE_S seconds.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "logging.h"

#define DAEMON_BACKOFF_MIN_MS 100
#define DAEMON_BACKOFF_MAX_MS 30000
#define DAEMON_STABLE_S 60

int daemon_background(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* The uid and gid UserID ("user" or "user:group") names; 0 or -1 after logging. */
static int daemon_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	char name[256];
	const char *group = NULL;
	struct passwd *pw;

	if (snprintf(name, sizeof name, "%s", user) >= (int)sizeof name)
		return -1;
	if (strchr(name, ':') != NULL) {
		group = strchr(name, ':') + 1;
		*strchr(name, ':') = '\0';
	}
	pw = getpwnam(name);
	if (pw == NULL) {
		logging_msg(PLOG_ERR, "UserID %s: no such user", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			logging_msg(PLOG_ERR, "UserID %s: no such group %s", user, group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int daemon_give_to_user(const char *path, const char *user)
{
	uid_t uid;
	gid_t gid;

	if (user == NULL || *user == '\0' || geteuid() != 0)
		return 0;
	if (daemon_user_ids(user, &uid, &gid) != 0)
		return -1;
	if (chown(path, uid, gid) != 0) {
		logging_msg(PLOG_ERR, "cannot give %s to %s: %s", path, user, strerror(errno));
		return -1;
	}
	return 0;
}

int daemon_drop_privileges(const char *user)
{
	char name[256];
	uid_t uid;
	gid_t gid;

	if (user == NULL || *user == '\0' || geteuid() != 0)
		return 0;
	if (daemon_user_ids(user, &uid, &gid) != 0)
		return -1;
	snprintf(name, sizeof name, "%s", user);
	if (strchr(name, ':') != NULL)
		*strchr(name, ':') = '\0';
	if (initgroups(name, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		logging_msg(PLOG_ERR, "cannot switch to user %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

int daemon_write_pidfile(const char *path)
{
	FILE *fp;

	if (path == NULL || *path == '\0')
		return 0;
	fp = fopen(path, "w");
	if (fp == NULL) {
		logging_msg(PLOG_ERR, "cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		logging_msg(PLOG_ERR, "cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void daemon_remove_pidfile(const char *path)
{
	if (path != NULL && *path != '\0')
		unlink(path);
}

static volatile sig_atomic_t daemon_got_hup, daemon_got_term, daemon_got_chld;

static void daemon_on_signal(int sig)
{
	if (sig == SIGHUP)
		daemon_got_hup = 1;
	else if (sig == SIGCHLD)
		daemon_got_chld = 1;
	else
		daemon_got_term = 1;
}

/* Installs the supervisor's handlers; returns the mask to wait with. */
static void daemon_supervisor_signals(sigset_t *blocked, sigset_t *waitmask)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(blocked);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(blocked, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, blocked, waitmask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigdelset(waitmask, sigs[i]);
}

/* Starts the worker child with default signal handling. */
static pid_t daemon_spawn(int (*worker)(void *, unsigned), void *arg, unsigned restarts,
			  const sigset_t *orig)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig, NULL);
		_exit(worker(arg, restarts));
	}
	return pid;
}

/* Passes a signal to the milter process; says so when it cannot. */
static void daemon_signal(pid_t pid, int sig, const char *what)
{
	if (kill(pid, sig) != 0)
		logging_msg(PLOG_ERR, "cannot ask milter process %ld to %s: %s", (long)pid, what,
			    strerror(errno));
}

/* Waits for the child, passing signals on; returns its wait status. */
static int daemon_watch(pid_t pid, const sigset_t *waitmask, bool *stopping)
{
	int status;

	for (;;) {
		while (!daemon_got_hup && !daemon_got_term && !daemon_got_chld)
			sigsuspend(waitmask);
		if (daemon_got_hup) {
			daemon_got_hup = 0;
			daemon_signal(pid, SIGUSR1, "reload");
		}
		if (daemon_got_term) {
			/* first: drain and stop; again: stop at once */
			daemon_got_term = 0;
			daemon_signal(pid, *stopping ? SIGTERM : SIGUSR2, "stop");
			*stopping = true;
		}
		daemon_got_chld = 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
	}
}

/*
 * Waits ms milliseconds before the next start; false when asked to stop
 * meanwhile (SIGTERM/SIGINT; a SIGHUP is moot without a milter process).
 */
static bool daemon_backoff(long ms, const sigset_t *blocked)
{
	struct timespec end, now, left;
	siginfo_t si;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (daemon_got_term)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return true;
		/* the signals are blocked: take them here rather than by handler */
		if (sigtimedwait(blocked, &si, &left) == SIGTERM || si.si_signo == SIGINT)
			daemon_got_term = 1;
	}
}

/* Logs a crash loudly: pid, signal, uptime, the delay before the restart. */
static void daemon_log_crash(pid_t pid, int status, time_t uptime, long delay_ms, unsigned row)
{
	if (WIFSIGNALED(status))
		logging_msg(PLOG_CRIT, "milter process %ld killed by signal %d (%s) after %lld s; "
			    "restarting in %ld ms (crash %u in a row)", (long)pid, WTERMSIG(status),
			    strsignal(WTERMSIG(status)), (long long)uptime, delay_ms, row);
	else
		logging_msg(PLOG_CRIT, "milter process %ld stopped (status %d) after %lld s; "
			    "restarting in %ld ms (crash %u in a row)", (long)pid, status,
			    (long long)uptime, delay_ms, row);
}

int daemon_supervise(int (*worker)(void *, unsigned), void *arg)
{
	sigset_t blocked, waitmask, orig;
	unsigned restarts = 0, row = 0;
	long delay_ms = DAEMON_BACKOFF_MIN_MS;
	bool stopping = false;

	daemon_supervisor_signals(&blocked, &waitmask);
	sigprocmask(SIG_SETMASK, NULL, &orig);
	sigdelset(&orig, SIGHUP);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGCHLD);
	for (;;) {
		time_t started = time(NULL), uptime;
		pid_t pid = daemon_spawn(worker, arg, restarts, &orig);
		int status;

		if (pid < 0) {
			logging_msg(PLOG_CRIT, "cannot start milter process: %s; retrying in %ld ms",
				    strerror(errno), delay_ms);
		} else {
			status = daemon_watch(pid, &waitmask, &stopping);
			if (WIFEXITED(status) || stopping)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
			uptime = time(NULL) - started;
			if (uptime >= DAEMON_STABLE_S) {
				row = 0;
				delay_ms = DAEMON_BACKOFF_MIN_MS;
			}
			daemon_log_crash(pid, status, uptime, delay_ms, ++row);
			restarts++;
		}
		if (!daemon_backoff(delay_ms, &blocked))
			return 0;
		delay_ms = delay_ms * 2 > DAEMON_BACKOFF_MAX_MS ? DAEMON_BACKOFF_MAX_MS : delay_ms * 2;
	}
}
