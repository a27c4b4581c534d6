/*
 * engine_track - open and click tracking of a rendered template
 * (engine_track.c), called by rule_template between rendering and the
 * MIME build, so DKIM (engine/sign.c, later) signs the tracked body.
 */
#ifndef SES_ENGINE_TRACK_H
#define SES_ENGINE_TRACK_H

#include "policy_msg.h"
#include "strbuf.h"
#include "template.h"

/*
 * Rewrites html (the rendered HTML part of template t) in place with the
 * tracking the account, the configuration and X-SES-Tracking ask for;
 * leaves it alone otherwise.
 */
void engine_track_html(const struct policy_msg *m, const struct tmpl *t, struct strbuf *html);

#endif
