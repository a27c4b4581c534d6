/*
 * conftab - table-driven "Key value" parsing.
 *
 * A table of conf_key rows describes each key: name, type, default, bounds,
 * a one-line doc and where the value lives in the target struct.  The same
 * table parses files, applies defaults, validates, prints the effective
 * values and writes the man page section, so they cannot drift apart.
 */
#ifndef SES_CONFTAB_H
#define SES_CONFTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "strbuf.h"

enum conf_type {
	CONF_STRING,	/* char *, strdup'ed */
	CONF_INT,	/* long long within [min, max] */
	CONF_SIZE,	/* long long bytes; accepts K, M, G suffixes (binary) */
	CONF_BOOL,	/* bool: yes/no, true/false, on/off, 1/0 */
	CONF_ENUM,	/* int index into choices */
	CONF_MODE,	/* long long, octal file mode */
	CONF_DURATION,	/* long long seconds; accepts s, m, h, d suffixes */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def;		/* default, as it would be written */
	long long min, max;		/* bounds for numbers */
	const char *const *choices;	/* NULL-terminated, for CONF_ENUM */
	size_t offset;			/* where the value lives */
	const char *doc;		/* one line */
};

/* Finds key name (case-insensitive, as opendkim.conf) in table. */
const struct conf_key *conftab_find(const struct conf_key *table, const char *name);

/*
 * Parses value for key into base.  Returns 0, or -1 with a reason in err.
 * A previous string value is freed.
 */
int conftab_set(const struct conf_key *key, void *base, const char *value,
		char *err, size_t errlen);

/* Applies every default in table to base (zeroed by the caller). */
void conftab_defaults(const struct conf_key *table, void *base);

/* Frees the strings table describes in base. */
void conftab_free(const struct conf_key *table, void *base);

/* Appends "Key value" for one key's current value. */
void conftab_format(const struct conf_key *key, const void *base, struct strbuf *out);

/* Appends seconds as a duration in its largest exact unit: "6h", "90s", "0". */
void conftab_duration_format(long long seconds, struct strbuf *out);

/* Appends the table as man(7) .TP entries. */
void conftab_man(const struct conf_key *table, struct strbuf *out);

/*
 * Splits a config line in place: skips blanks and comments (returns 0),
 * otherwise sets *key and *value (value may be "") and returns 1.
 */
int conftab_split(char *line, char **key, char **value);

bool conftab_parse_bool(const char *s, bool *out);

#endif
