/*
 * engine_track - open and click tracking of a rendered template
 * (engine_track.c), called by rule_template between rendering and the
 * MIME build, and of custom content, called at end of message after the
 * rules; both before DKIM (engine/sign.c, later) signs the body.
 */
#ifndef SES_ENGINE_TRACK_H
#define SES_ENGINE_TRACK_H

#include <stdbool.h>

#include "policy_msg.h"
#include "strbuf.h"
#include "template.h"

/*
 * Rewrites html (the rendered HTML part of template t) in place with the
 * tracking the account, the configuration and X-SES-Tracking ask for;
 * leaves it alone otherwise.
 */
void engine_track_html(const struct policy_msg *m, const struct tmpl *t, struct strbuf *html);

/*
 * Plans the body of a custom-content message with its HTML parts tracked
 * (a new body, and a new Content-Transfer-Encoding when the message is
 * one HTML part that had to become quoted-printable), when tracking is
 * wanted as for a template.  Needs the parse made at end of message
 * (m->content.parsed); leaves the message alone when it cannot be
 * tracked.
 */
void engine_track_custom(struct policy_msg *m);
/* True when engine_track_custom() may rewrite m: it needs the MIME parse. */
bool engine_track_custom_wanted(const struct policy_msg *m);

#endif
