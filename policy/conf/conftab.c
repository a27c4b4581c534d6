/*
 * conftab - generic table-driven configuration values; see conftab.h.
 *
 * Diagnostics: conftab_set explains a bad value in one phrase
 * ("must be between 1 and 998"), the caller adds file and line.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conftab.h"
#include "xalloc.h"

#define FIELD(base, key, type) ((type *)((char *)(base) + (key)->offset))
#define CFIELD(base, key, type) ((const type *)((const char *)(base) + (key)->offset))

const struct conf_key *conftab_find(const struct conf_key *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcasecmp(table->name, name) == 0)
			return table;
	return NULL;
}

bool conftab_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	return false;
}

/* A unit suffix a number may carry, and what it multiplies by. */
struct conftab_unit {
	char suffix; /* compared case-insensitively */
	long long mult;
};

static const struct conftab_unit conftab_size_units[] = {
	{ 'K', 1024LL }, { 'M', 1024LL * 1024 }, { 'G', 1024LL * 1024 * 1024 }, { 0, 0 }
};

/* Largest first: conftab_duration_format picks the first that divides. */
static const struct conftab_unit conftab_duration_units[] = {
	{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 }, { 0, 0 }
};

/* Parses a decimal (or octal) number with an optional suffix of units. */
static int conftab_number(const char *s, int base, const struct conftab_unit *units, long long *out)
{
	char *end;
	long long v, mult = 1;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || end == s)
		return -1;
	if (units != NULL && *end != '\0' && end[1] == '\0') {
		for (; units->suffix != 0; units++)
			if (toupper((unsigned char)*end) == toupper((unsigned char)units->suffix))
				break;
		if (units->suffix == 0)
			return -1;
		mult = units->mult;
		end++;
	}
	if (*end != '\0')
		return -1;
	if (v > (1LL << 62) / mult || v < -((1LL << 62) / mult))
		return -1;	/* the multiplication would overflow */
	*out = v * mult;
	return 0;
}

void conftab_duration_format(long long seconds, struct strbuf *out)
{
	const struct conftab_unit *u;

	if (seconds == 0) {
		strbuf_appends(out, "0");
		return;
	}
	for (u = conftab_duration_units; u->suffix != 0; u++)
		if (seconds % u->mult == 0)
			break;
	strbuf_appendf(out, "%lld%c", seconds / u->mult, u->suffix);
}

/* Explains a number out of key's bounds in err. */
static void conftab_bounds_err(const struct conf_key *key, char *err, size_t errlen)
{
	struct strbuf lo = STRBUF_INIT, hi = STRBUF_INIT;

	if (key->type == CONF_MODE) {
		snprintf(err, errlen, "%s must be between %llo and %llo", key->name, key->min,
			 key->max);
	} else if (key->type == CONF_DURATION) {
		conftab_duration_format(key->min, &lo);
		conftab_duration_format(key->max, &hi);
		snprintf(err, errlen, "%s must be between %s and %s", key->name, strbuf_cstr(&lo),
			 strbuf_cstr(&hi));
	} else {
		snprintf(err, errlen, "%s must be between %lld and %lld", key->name, key->min,
			 key->max);
	}
	strbuf_free(&lo);
	strbuf_free(&hi);
}

/* The unit suffixes of a numeric type (NULL: none); *what names its values. */
static const struct conftab_unit *conftab_units(enum conf_type type, const char **what)
{
	switch (type) {
	case CONF_SIZE:
		*what = "a size (bytes, or with K, M, G)";
		return conftab_size_units;
	case CONF_DURATION:
		*what = "a duration (seconds, or with s, m, h, d)";
		return conftab_duration_units;
	case CONF_MODE:
		*what = "an octal mode";
		return NULL;
	default:
		*what = "a number";
		return NULL;
	}
}

/* Parses value for a numeric key into base; 0, or -1 with a reason in err. */
static int conftab_set_number(const struct conf_key *key, void *base, const char *value, char *err,
			      size_t errlen)
{
	const char *what;
	const struct conftab_unit *units = conftab_units(key->type, &what);
	long long n;

	if (conftab_number(value, key->type == CONF_MODE ? 8 : 10, units, &n) != 0) {
		snprintf(err, errlen, "%s: \"%s\" is not %s", key->name, value, what);
		return -1;
	}
	if (n < key->min || n > key->max) {
		conftab_bounds_err(key, err, errlen);
		return -1;
	}
	*FIELD(base, key, long long) = n;
	return 0;
}

int conftab_set(const struct conf_key *key, void *base, const char *value,
		char *err, size_t errlen)
{
	bool b;
	int i;
	char *copy;

	switch (key->type) {
	case CONF_STRING:
		copy = xstrdup(value);
		free(*FIELD(base, key, char *));
		*FIELD(base, key, char *) = copy;
		return 0;
	case CONF_BOOL:
		if (!conftab_parse_bool(value, &b)) {
			snprintf(err, errlen, "%s must be yes or no, not \"%s\"", key->name, value);
			return -1;
		}
		*FIELD(base, key, bool) = b;
		return 0;
	case CONF_ENUM:
		for (i = 0; key->choices[i] != NULL; i++)
			if (strcasecmp(value, key->choices[i]) == 0) {
				*FIELD(base, key, int) = i;
				return 0;
			}
		snprintf(err, errlen, "%s must be one of", key->name);
		for (i = 0; key->choices[i] != NULL; i++) {
			size_t len = strlen(err);

			snprintf(err + len, errlen - len, "%s %s", i ? "," : "", key->choices[i]);
		}
		return -1;
	case CONF_INT:
	case CONF_SIZE:
	case CONF_MODE:
	case CONF_DURATION:
		return conftab_set_number(key, base, value, err, errlen);
	}
	snprintf(err, errlen, "%s: unknown type", key->name);
	return -1;
}

void conftab_defaults(const struct conf_key *table, void *base)
{
	char err[256];

	for (; table->name != NULL; table++)
		if (conftab_set(table, base, table->def, err, sizeof err) != 0)
			abort();	/* a bad default is a programming error */
}

void conftab_free(const struct conf_key *table, void *base)
{
	for (; table->name != NULL; table++)
		if (table->type == CONF_STRING) {
			free(*FIELD(base, table, char *));
			*FIELD(base, table, char *) = NULL;
		}
}

void conftab_format(const struct conf_key *key, const void *base, struct strbuf *out)
{
	const char *s;

	strbuf_appendf(out, "%-22s ", key->name);
	switch (key->type) {
	case CONF_STRING:
		s = *CFIELD(base, key, char *);
		strbuf_appends(out, s != NULL ? s : "");
		break;
	case CONF_BOOL:
		strbuf_appends(out, *CFIELD(base, key, bool) ? "yes" : "no");
		break;
	case CONF_ENUM:
		strbuf_appends(out, key->choices[*CFIELD(base, key, int)]);
		break;
	case CONF_INT:
	case CONF_SIZE:
		strbuf_appendf(out, "%lld", *CFIELD(base, key, long long));
		break;
	case CONF_MODE:
		strbuf_appendf(out, "%04llo", *CFIELD(base, key, long long));
		break;
	case CONF_DURATION:
		conftab_duration_format(*CFIELD(base, key, long long), out);
		break;
	}
	strbuf_appendc(out, '\n');
}

/* Escapes roff's special characters in text. */
static void conftab_roff(struct strbuf *out, const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '\\')
			strbuf_appends(out, "\\e");
		else if (*text == '-')
			strbuf_appends(out, "\\-");
		else
			strbuf_appendc(out, *text);
	}
}

void conftab_man(const struct conf_key *table, struct strbuf *out)
{
	static const char *const type_names[] = {
		[CONF_STRING] = "string", [CONF_INT] = "number", [CONF_SIZE] = "size",
		[CONF_BOOL] = "yes|no", [CONF_ENUM] = "choice", [CONF_MODE] = "octal mode",
		[CONF_DURATION] = "duration",
	};
	int i;

	for (; table->name != NULL; table++) {
		strbuf_appendf(out, ".TP\n\\fB%s\\fR ", table->name);
		if (table->type == CONF_ENUM) {
			strbuf_appendc(out, '(');
			for (i = 0; table->choices[i] != NULL; i++)
				strbuf_appendf(out, "%s%s", i ? "|" : "", table->choices[i]);
			strbuf_appendc(out, ')');
		} else {
			strbuf_appendf(out, "(%s)", type_names[table->type]);
		}
		strbuf_appendc(out, '\n');
		conftab_roff(out, table->doc);
		strbuf_appends(out, "\nDefault: ");
		if (*table->def == '\0')
			strbuf_appends(out, "empty");
		else {
			strbuf_appends(out, "\\fB");
			conftab_roff(out, table->def);
			strbuf_appends(out, "\\fR");
		}
		if (table->type == CONF_INT || table->type == CONF_SIZE)
			strbuf_appendf(out, "; from %lld to %lld", table->min, table->max);
		if (table->type == CONF_DURATION) {
			strbuf_appends(out, "; from ");
			conftab_duration_format(table->min, out);
			strbuf_appends(out, " to ");
			conftab_duration_format(table->max, out);
		}
		strbuf_appends(out, ".\n");
	}
}

int conftab_split(char *line, char **key, char **value)
{
	char *p = line, *end;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*value = p;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return 1;
}
