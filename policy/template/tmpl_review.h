/*
 * tmpl_review - the automatic review of a template (SPEC section 4).
 *
 * Checks, each reported as a finding (pass or fail with a reason):
 *   words      at least 50 words (transactional, notification) or 150
 *              (marketing) in the text (the HTML's text when there is no
 *              text part); none for trigger; CJK text counts characters;
 *   variables  variables to words at most 1:5;
 *   images     at most 50 <img>, and not images only;
 *   links      no URL or redirection link unless AllowLinks;
 *   css        no external CSS (<link rel=stylesheet>, @import, url() in
 *              style);
 *   content    not variable-only (text besides variables).
 * The operator can still approve or reject by hand (sesctl template).
 */
#ifndef SES_TMPL_REVIEW_H
#define SES_TMPL_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "template.h"

struct tmpl_finding {
	const char *check;	/* "words", "variables", ... */
	bool pass;
	char detail[200];	/* "162 words, at least 150 for marketing" */
};

#define TMPL_REVIEW_CHECKS 6

/* Runs every check on t into out[0..TMPL_REVIEW_CHECKS); true when all pass. */
bool tmpl_review(const struct tmpl *t, struct tmpl_finding out[TMPL_REVIEW_CHECKS]);

#endif
