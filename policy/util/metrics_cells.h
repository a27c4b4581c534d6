/*
 * metrics_cells - the registry's storage, shared by metrics.c (updates)
 * and metrics_text.c (rendering) only; callers use metrics.h.
 */
#ifndef SES_METRICS_CELLS_H
#define SES_METRICS_CELLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

#define METRICS_CELLS 512	/* per metric; test_metrics checks the table fits */

extern _Atomic uint64_t metrics_cells[METRIC__COUNT][METRICS_CELLS];

/* Values of a label (1 for an unused label). */
size_t metrics_label_count(const struct metric_label *l);
/* Cells one series of d takes. */
size_t metrics_series_cells(const struct metric_def *d);
/* A counter's or gauge's cell as a number. */
double metrics_cell_value(const struct metric_def *d, const _Atomic uint64_t *c);

#endif
