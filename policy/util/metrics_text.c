/*
 * metrics_text - the Prometheus text exposition format (0.0.4) of the
 * registry: HELP and TYPE lines, one line per series, histograms with
 * cumulative le buckets, +Inf, _sum and _count.  Every declared series
 * is written, zeros included, so a dashboard finds each name at start.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "metrics_cells.h"

void metrics_escape(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			strbuf_appends(out, "\\\\");
		else if (*s == '"')
			strbuf_appends(out, "\\\"");
		else if (*s == '\n')
			strbuf_appends(out, "\\n");
		else
			strbuf_appendc(out, *s);
	}
}

/* The shortest %g form that reads back as v (0.00025, not 0.00025000000000000001). */
static void metrics_shortest(struct strbuf *out, double v)
{
	char buf[40];
	int prec;

	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof buf, "%.*g", prec, v);
	strbuf_appends(out, buf);
}

/* A sample value: integers without a fraction, NaN and infinities by name. */
static void metrics_number(struct strbuf *out, double v)
{
	if (isnan(v))
		strbuf_appends(out, "NaN");
	else if (isinf(v))
		strbuf_appends(out, v > 0 ? "+Inf" : "-Inf");
	else if ((v < 0 ? -v : v) < 1e15 && v == (double)(long long)v)
		strbuf_appendf(out, "%lld", (long long)v);
	else
		metrics_shortest(out, v);
}

static void metrics_header(struct strbuf *out, const char *name, const char *help,
			   const char *type)
{
	strbuf_appendf(out, "# HELP %s ", name);
	for (; *help != '\0'; help++) {	/* HELP escapes backslash and newline only */
		if (*help == '\\')
			strbuf_appends(out, "\\\\");
		else if (*help == '\n')
			strbuf_appends(out, "\\n");
		else
			strbuf_appendc(out, *help);
	}
	strbuf_appendf(out, "\n# TYPE %s %s\n", name, type);
}

/*
 * One sample line: name[suffix]{labels of the series[, le="..."]} value.
 * le < 0: no le label; le infinite: "+Inf".
 */
static void metrics_line(struct strbuf *out, const struct metric_def *d, const char *suffix,
			 size_t i1, size_t i2, double le, double v)
{
	bool any = false;
	size_t k, idx[2] = { i1, i2 };

	strbuf_appendf(out, "%s%s", d->name, suffix);
	for (k = 0; k < 2; k++) {
		if (d->label[k].name == NULL)
			continue;
		strbuf_appendf(out, "%s%s=\"", any ? "," : "{", d->label[k].name);
		metrics_escape(out, d->label[k].values[idx[k]]);
		strbuf_appendc(out, '"');
		any = true;
	}
	if (le >= 0) {
		strbuf_appends(out, any ? ",le=\"" : "{le=\"");
		metrics_number(out, le);
		strbuf_appendc(out, '"');
		any = true;
	}
	strbuf_appends(out, any ? "} " : " ");
	metrics_number(out, v);
	strbuf_appendc(out, '\n');
}

static void metrics_histogram(struct strbuf *out, const struct metric_def *d, size_t i1,
			      size_t i2, const _Atomic uint64_t *c)
{
	uint64_t cum = 0, sum_ns;
	size_t b;

	for (b = 0; b <= d->nbuckets; b++) {
		cum += atomic_load_explicit(&c[b], memory_order_relaxed);
		metrics_line(out, d, "_bucket", i1, i2, b < d->nbuckets ? d->buckets[b] : INFINITY,
			     (double)cum);
	}
	sum_ns = atomic_load_explicit(&c[d->nbuckets + 1], memory_order_relaxed);
	metrics_line(out, d, "_sum", i1, i2, -1, (double)sum_ns / 1e9);
	metrics_line(out, d, "_count", i1, i2, -1, (double)cum);
}

static void metrics_render_one(struct strbuf *out, enum metric_id id)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metric_def *d = metrics_def(id);
	size_t n1 = metrics_label_count(&d->label[0]), n2 = metrics_label_count(&d->label[1]);
	size_t per = metrics_series_cells(d), i1, i2;

	metrics_header(out, d->name, d->help, types[d->type]);
	for (i1 = 0; i1 < n1; i1++)
		for (i2 = 0; i2 < n2; i2++) {
			const _Atomic uint64_t *c = &metrics_cells[id][(i1 * n2 + i2) * per];

			if ((i1 * n2 + i2 + 1) * per > METRICS_CELLS)
				return;
			if (d->type == METRIC_HISTOGRAM)
				metrics_histogram(out, d, i1, i2, c);
			else
				metrics_line(out, d, "", i1, i2, -1, metrics_cell_value(d, c));
		}
}

void metrics_render(struct strbuf *out)
{
	size_t id;

	for (id = 0; id < METRIC__COUNT; id++)
		metrics_render_one(out, (enum metric_id)id);
}

void metrics_render_gauge_family(struct strbuf *out, const char *name, const char *help,
				 const char *label, const char *const *values,
				 const double *nums, size_t n)
{
	size_t i;

	metrics_header(out, name, help, "gauge");
	for (i = 0; i < n; i++) {
		strbuf_appendf(out, "%s{%s=\"", name, label);
		metrics_escape(out, values[i]);
		strbuf_appends(out, "\"} ");
		metrics_number(out, nums[i]);
		strbuf_appendc(out, '\n');
	}
}
