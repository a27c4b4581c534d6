/*
 * daemon - process plumbing: background, privileges, PID file, and the
 * supervisor that turns SIGHUP into a reload.
 *
 * libmilter's own signal thread treats SIGHUP as "stop", so the process
 * the operator signals is a small supervisor: it runs the milter in a
 * child, passes SIGHUP on as SIGUSR1 (reload), SIGTERM/SIGINT as SIGUSR2
 * (refuse new connections, finish sessions in flight, then exit; a second
 * SIGTERM stops at once), and restarts a child that crashed.
 */
#ifndef SES_DAEMON_H
#define SES_DAEMON_H

#include <stdbool.h>

#include "config.h"

/* Detaches from the terminal (fork, setsid, stdio to /dev/null). 0 or -1. */
int daemon_background(void);

/* Switches to UserID (user or user:group) when running as root. 0 or -1. */
int daemon_drop_privileges(const char *user);
/* Makes path belong to UserID (as root; nothing otherwise).  0 or -1. */
int daemon_give_to_user(const char *path, const char *user);

/* Writes the PID file (empty path: none). 0 or -1. */
int daemon_write_pidfile(const char *path);
void daemon_remove_pidfile(const char *path);

/*
 * Runs worker(arg, restarts) in a child process under supervision and
 * returns the exit status for the supervisor.  worker runs with SIGUSR1 as
 * its reload signal and SIGUSR2 as its stop signal; restarts counts the
 * crashes before it (a restarted worker rereads the files).
 */
int daemon_supervise(int (*worker)(void *, unsigned), void *arg);

#endif
