/*
 * reload - the snapshot in force, swapped whole on reload.
 *
 * Connections take a reference at connect (reload_current) and keep it;
 * a reload builds a new snapshot and swaps the pointer under a mutex.  A
 * config or data file with errors is refused: every error is logged and
 * the old snapshot stays.
 */
#ifndef SES_RELOAD_H
#define SES_RELOAD_H

#include "snapshot.h"

/* Remembers the config path and installs the first snapshot (taken over). */
void reload_init(const char *conf_path, struct policy_snapshot *first);

/* A new reference to the snapshot in force; caller unrefs. */
struct policy_snapshot *reload_current(void);

/* Loads the files again; 0 when the new snapshot is in force, -1 if refused. */
int reload_now(void);

#endif
