/*
 * callbacks - the libmilter callback table.  Each mlfi_* callback maps
 * the MTA's event to one policy engine call and hands the decision to
 * reply_send(); the policy itself lives in policy/.
 */
#ifndef SES_CALLBACKS_H
#define SES_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc callbacks_desc;

/* Sessions currently open (connect seen, close not yet). */
int callbacks_active_sessions(void);

/* From now on new connections are tempfailed at connect (stopping). */
void callbacks_start_draining(void);

#endif
