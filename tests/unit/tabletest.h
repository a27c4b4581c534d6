/*
 * tabletest - cmocka tests made from a table of cases: one test per row,
 * named by the row's name field, each run by the same function with the
 * row as its state.
 */
#ifndef SES_TABLETEST_H
#define SES_TABLETEST_H

/* Fills tests[0..n) from cases[0..n) (n = ARRAY_SIZE(cases)); run gets &cases[i]. */
#define TABLE_TESTS(tests, cases, n, run)                                               \
	do {                                                                             \
		size_t tt_i_;                                                            \
		for (tt_i_ = 0; tt_i_ < (n); tt_i_++)                                    \
			(tests)[tt_i_] = (struct CMUnitTest){ .name = (cases)[tt_i_].name, \
							      .test_func = (run),          \
							      .initial_state =             \
								      (void *)&(cases)[tt_i_] };   \
	} while (0)

#endif
