/*
 * policy_msg - the contexts of one SMTP session, grouped by lifetime.
 *
 * Read and written by the engine (engine*.c), its flows and the rules;
 * the milter adapter never includes this header and sees the message
 * only through engine.h (the stage functions and the plan).
 */
#ifndef SES_POLICY_MSG_H
#define SES_POLICY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "account.h"
#include "decision.h"
#include "engine_types.h"
#include "mime_count.h"
#include "mime_guard.h"
#include "snapshot.h"
#include "strbuf.h"

struct inbound_msg;
struct engine_flow;
struct prefetch;

enum policy_mode {
	POLICY_MODE_INBOUND = 0,	/* mail for the service's domains */
	POLICY_MODE_OUTBOUND,		/* an account sending */
};

/* One connection: connect .. close; the snapshot in force for all of it. */
struct policy_conn {
	struct policy_snapshot *snap;	/* reference held until close */
	const struct plog *log;
	char *client_name;
	char client_addr[64];		/* text form, "" when unknown */
	struct sockaddr_storage client_sa;
	bool have_sa;
	bool local;			/* locally submitted, not SMTP */
	char *helo;			/* HELO/EHLO argument, or NULL */
	unsigned messages;		/* transactions begun */
};

struct policy_rcpt {
	char *addr;			/* as given */
	char *norm;			/* normalised for shared-state keys */
	bool refused;			/* refused (or to be deleted at EOM) */
	bool refuses_message;		/* by a rule that refuses the whole message */
	struct policy_decision why;
};

struct policy_resv {
	char *key;
	enum policy_resv_kind kind;
	size_t rcpt;			/* index in rcpts */
};

/* What the message becomes: header changes in order, maybe a new body. */
struct policy_edits {
	struct policy_hdr_edit *hdrs;
	size_t nhdrs;
	bool replace_body;
	struct strbuf body;		/* CRLF line ends */
	char *new_sender;		/* a new envelope sender, or NULL */
	bool notify_success;		/* re-add the accepted recipients with
					   NOTIFY=SUCCESS,FAILURE */
};

/* Headers seen so far, one entry per name (engine_edit.c). */
struct policy_hdr_seen {
	char *name;			/* as first written */
	unsigned count;
	size_t bytes;			/* of all its lines, CRLFs included */
};

/* MAIL FROM and RCPT TO: as given, and what the policy made of them. */
struct policy_envelope {
	char *auth_login;		/* {auth_authen} at MAIL, or NULL */
	char *sender;			/* envelope sender as given */
	char *sender_domain;		/* lower case; "" for the null sender */
	struct policy_rcpt *rcpts;	/* outbound: every recipient */
	size_t nrcpts;
	size_t naccepted;
	char **feedback_rcpts;		/* inbound: recipients that are ours (VERP, u-) */
	size_t nfeedback;
	size_t nplain;			/* inbound: other recipients */
};

/* The header block as received, and what the policy reads out of it. */
struct policy_msg_headers {
	struct policy_header *list;	/* every header, in order */
	size_t n;
	struct policy_hdr_seen *seen;	/* header names and counts */
	size_t nseen;
	size_t bytes;			/* the header block, CRLFs included */
	unsigned subjects;		/* Subject headers seen */
	int subject_status;		/* enum rfc2047_status of the first one */
	struct strbuf subject;		/* decoded (UTF-8) Subject */
	size_t subject_chars;
	char *tmpl_id;			/* X-SES-Template (first), or NULL */
	char *tmpl_data;		/* X-SES-Template-Data (first, unfolded), or NULL */
	char *unsub_opt;		/* X-SES-Unsubscribe (first, trimmed), or NULL */
	char *tracking_opt;		/* X-SES-Tracking (first, trimmed), or NULL */
	char *from;			/* inbound: the first From value, or NULL */
};

/* The content as it streams: its size and, while buffering, a copy. */
struct policy_msg_content {
	unsigned long long size;	/* header and body bytes so far */
	bool buffering;			/* keeping content for end of message */
	struct strbuf kept;		/* header block and body, if buffering */
	int attachments;		/* -1 until counted at end of message */
	struct mime_guard_verdict mime;	/* the MIME structure, checked at end of message */
	/*
	 * kept parsed once at end of message, after the guard accepted it:
	 * the attachment count and the template's carried-over attachments
	 * read the same parse.  message NULL when not parsed.
	 */
	struct mime_parsed parsed;
};

/* Counts taken in shared state: given back unless the message goes through. */
struct policy_reservations {
	struct policy_resv *list;	/* not yet kept */
	size_t n;
	int64_t rate_second;		/* rule_rate: the last second counted in */
};

/* The outcome so far, and how far the message's end has got. */
struct policy_results {
	bool hold;			/* a rule asked for the hold queue */
	struct policy_decision hold_why;
	struct policy_decision final;	/* the message-level decision */
	bool decided;			/* final is set */
	bool rule_failed;		/* a rule could not decide (memcached down...) */
	char *auth_summary;		/* inbound checks' results, for the summary line */
	bool logged;			/* summary line written */
	bool finished;			/* policy_finish or policy_msg_abort done */
};

/* One transaction: MAIL FROM .. end of message or abort. */
struct policy_msg {
	struct policy_conn *conn;
	const struct engine_flow *flow;	/* the pipeline MAIL FROM picked */
	enum policy_mode mode;		/* the flow's kind of mail */
	const struct account *account;	/* NULL for inbound */
	struct policy_limits limits;	/* the account's, else the configuration's */
	char queue_id[32];
	struct policy_envelope env;
	struct policy_msg_headers hdrs;
	struct policy_msg_content content;
	struct policy_reservations resv;
	struct policy_results result;
	struct inbound_msg *inbound;	/* inbound: the SPF/DKIM/DMARC checks, or NULL */
	struct policy_edits edits;	/* planned at end of message */
	struct policy_plan *plan;	/* built by policy_eom (engine_plan.c) */
	struct prefetch *prefetch;	/* while a recipient's rules run, or NULL */
};

void policy_edits_free(struct policy_edits *e);

/*
 * The message context's own operations (policy_msg.c; the edits are
 * engine_edit.c's), shared by engine.c, the flows, the stage files and
 * the rules; none of them calls back into engine.c.
 */

/* Records a reservation for the recipient being checked (rules call it). */
void policy_msg_reserve(struct policy_msg *m, enum policy_resv_kind kind, const char *key);

/* The shared-state store and the clock of the message's snapshot. */
const struct store *policy_msg_store(const struct policy_msg *m);
int64_t policy_msg_now_us(const struct policy_msg *m);

/* The control headers' prefix; all of them are removed before delivery. */
#define POLICY_CONTROL_PREFIX "X-SES-"

/* Notes a header for edits and the template headers (engine_edit.c). */
void policy_msg_note_header(struct policy_msg *m, const char *name, const char *value,
			    size_t bytes);
/* How many headers named name the message has, and their bytes. */
unsigned policy_msg_header_count(const struct policy_msg *m, const char *name, size_t *bytes);
/* Plans: name gets value (changing the first, deleting others, or adding). */
void policy_msg_set_header(struct policy_msg *m, const char *name, const char *value);
/* Plans the removal of every X-SES-* header. */
void policy_msg_remove_control_headers(struct policy_msg *m);
/* Plans the replacement of the body (the engine keeps a copy). */
void policy_msg_replace_body(struct policy_msg *m, const char *body, size_t len);
/* Plans a new envelope sender (changed at end of message). */
void policy_msg_set_sender(struct policy_msg *m, const char *addr);
/* Plans the removal of the index-th (1-based) header named name. */
void policy_msg_delete_header(struct policy_msg *m, const char *name, unsigned index);
/* Plans a header inserted before all others (a signature). */
void policy_msg_insert_header(struct policy_msg *m, const char *name, const char *value);
/*
 * The headers as the message will leave: the received ones with the
 * planned edits applied.  *out points into m and the edits; valid until
 * they change.  Caller frees the array.
 */
size_t policy_msg_final_headers(const struct policy_msg *m, struct policy_header **out);
/* The body as it will leave: the new one if planned, else the received one. */
const char *policy_msg_final_body(const struct policy_msg *m, size_t *len);


/* Sets the message-level decision (the first refusal sticks). */
void engine_decide(struct policy_msg *m, const struct policy_decision *d);

#define ENGINE_ALL_RCPTS ((size_t)-1)
/* Gives back the reservations of recipient rcpt (ENGINE_ALL_RCPTS: all). */
void engine_release(struct policy_msg *m, size_t rcpt);

/* Counts (and keeps, while buffering) bytes of the message as it streams. */
void engine_count(struct policy_msg *m, const void *data, size_t len);
/* Counts a header as the line it is in the message: CRLF line ends. */
void engine_count_header(struct policy_msg *m, const char *name, const char *value);

char *engine_strdup(const char *s);


#endif
