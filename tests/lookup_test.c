/*
 * lookup_test.c - unit tests of the lookup-count table (src/lookup.h)
 *
 * Counts are checked against a plain reference model: an array of (ino,
 * count) pairs searched linearly or by index.  Random sequences come from
 * a seeded generator, so a failure names the seed that reproduces it.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"

static struct lookup *t;

/*
 * An assertion for hot loops: check's ck_assert_*() records its location
 * with a write(2) even when it passes, which would dominate the run time.
 */
#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

static void setup(void)
{
	t = lookup_new();
	ck_assert_ptr_nonnull(t);
}

static void teardown(void)
{
	lookup_free(t);
	t = NULL;
}

/* splitmix64: a bijection of its state, so distinct steps give distinct
 * values (the generator itself and a source of distinct inode numbers). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t state;
};

static uint64_t next(struct rng *r)
{
	return mix(r->state++);
}

/* A uniform-enough value in [0, n). */
static uint64_t below(struct rng *r, uint64_t n)
{
	return next(r) % n;
}

/* --- basic semantics --------------------------------------------------- */

START_TEST(test_empty)
{
	ck_assert_uint_eq(lookup_size(t), 0);
	ck_assert_uint_eq(lookup_count(t, 1), 0);
	ck_assert_uint_eq(lookup_count(t, 12345), 0);
	ck_assert_uint_eq(lookup_count(t, UINT64_MAX), 0);
	ck_assert_uint_eq(lookup_drop(t, 1, 1), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_size(t), 0);
}
END_TEST

START_TEST(test_add_count)
{
	ck_assert_int_eq(lookup_add(t, 5, 1), 0);
	ck_assert_uint_eq(lookup_count(t, 5), 1);
	ck_assert_uint_eq(lookup_size(t), 1);
	ck_assert_int_eq(lookup_add(t, 5, 2), 0);
	ck_assert_uint_eq(lookup_count(t, 5), 3);
	ck_assert_uint_eq(lookup_size(t), 1);
	ck_assert_int_eq(lookup_add(t, 6, 10), 0);
	ck_assert_uint_eq(lookup_count(t, 6), 10);
	ck_assert_uint_eq(lookup_count(t, 5), 3);
	ck_assert_uint_eq(lookup_count(t, 7), 0);
	ck_assert_uint_eq(lookup_size(t), 2);
	ck_assert_int_eq(lookup_add(t, UINT64_MAX, 1), 0);
	ck_assert_uint_eq(lookup_count(t, UINT64_MAX), 1);
	ck_assert_uint_eq(lookup_size(t), 3);
	/* adding nothing makes no entry */
	ck_assert_int_eq(lookup_add(t, 8, 0), 0);
	ck_assert_uint_eq(lookup_count(t, 8), 0);
	ck_assert_uint_eq(lookup_size(t), 3);
	ck_assert_int_eq(lookup_add(t, 5, 0), 0);
	ck_assert_uint_eq(lookup_count(t, 5), 3);
}
END_TEST

START_TEST(test_drop)
{
	ck_assert_int_eq(lookup_add(t, 5, 3), 0);
	ck_assert_int_eq(lookup_add(t, 9, 1), 0);
	ck_assert_uint_eq(lookup_drop(t, 5, 1), 2);
	ck_assert_uint_eq(lookup_count(t, 5), 2);
	ck_assert_uint_eq(lookup_size(t), 2);
	ck_assert_uint_eq(lookup_drop(t, 5, 0), 2);
	ck_assert_uint_eq(lookup_count(t, 5), 2);
	ck_assert_uint_eq(lookup_drop(t, 5, 2), 0);
	ck_assert_uint_eq(lookup_count(t, 5), 0);
	ck_assert_uint_eq(lookup_size(t), 1);
	/* dropping what is not there */
	ck_assert_uint_eq(lookup_drop(t, 5, 1), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_drop(t, 77, 3), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_size(t), 1);
	ck_assert_uint_eq(lookup_count(t, 9), 1);
	/* and back */
	ck_assert_int_eq(lookup_add(t, 5, 4), 0);
	ck_assert_uint_eq(lookup_count(t, 5), 4);
	ck_assert_uint_eq(lookup_size(t), 2);
}
END_TEST

START_TEST(test_drop_more_than_held)
{
	ck_assert_int_eq(lookup_add(t, 42, 3), 0);
	ck_assert_int_eq(lookup_add(t, 43, 1), 0);
	ck_assert_uint_eq(lookup_drop(t, 42, 10), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_count(t, 42), 0);
	ck_assert_uint_eq(lookup_size(t), 1);
	ck_assert_uint_eq(lookup_count(t, 43), 1);
	ck_assert_uint_eq(lookup_drop(t, 43, UINT64_MAX), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_size(t), 0);
	ck_assert_uint_eq(lookup_count(t, 43), 0);
}
END_TEST

START_TEST(test_ino_zero)
{
	ck_assert_int_eq(lookup_add(t, 0, 5), 0);
	ck_assert_uint_eq(lookup_count(t, 0), 0);
	ck_assert_uint_eq(lookup_size(t), 0);
	ck_assert_uint_eq(lookup_drop(t, 0, 1), LOOKUP_TOO_MANY);
	ck_assert_int_eq(lookup_add(t, 1, 2), 0);
	ck_assert_int_eq(lookup_add(t, 0, 5), 0);
	ck_assert_uint_eq(lookup_count(t, 0), 0);
	ck_assert_uint_eq(lookup_drop(t, 0, 1), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_count(t, 1), 2);
	ck_assert_uint_eq(lookup_size(t), 1);
}
END_TEST

START_TEST(test_large_counts)
{
	const uint64_t big = (uint64_t) 1 << 40;

	ck_assert_int_eq(lookup_add(t, 3, big), 0);
	ck_assert_int_eq(lookup_add(t, 3, big), 0);
	ck_assert_uint_eq(lookup_count(t, 3), 2 * big);
	ck_assert_uint_eq(lookup_drop(t, 3, big + 1), big - 1);
	ck_assert_uint_eq(lookup_drop(t, 3, big - 2), 1);
	ck_assert_uint_eq(lookup_drop(t, 3, 1), 0);
	ck_assert_uint_eq(lookup_size(t), 0);
}
END_TEST

START_TEST(test_free_null)
{
	lookup_free(NULL);
}
END_TEST

/* --- growth and removal against a reference array ---------------------- */

#define MANY 150000

/* The i-th of a set of distinct, nonzero, scattered inode numbers. */
static uint64_t scattered(uint64_t seed, uint64_t i)
{
	uint64_t ino = mix(seed * 0x100000000ULL + i);

	return ino ? ino : 1; /* 0 would be ignored (never seen in practice) */
}

static void check_all(const uint64_t *inos, const uint64_t *counts, size_t n)
{
	size_t i, live = 0;

	for (i = 0; i < n; i++) {
		uint64_t got = lookup_count(t, inos[i]);

		expect(got == counts[i], "ino %llu: count %llu, want %llu",
		       (unsigned long long) inos[i], (unsigned long long) got,
		       (unsigned long long) counts[i]);
		live += counts[i] != 0;
	}
	expect(lookup_size(t) == live, "size %llu, want %llu",
	       (unsigned long long) lookup_size(t), (unsigned long long) live);
}

START_TEST(test_growth_random)
{
	uint64_t *inos = malloc(MANY * sizeof(*inos));
	uint64_t *counts = malloc(MANY * sizeof(*counts));
	struct rng r = {.state = 1};
	size_t i;

	ck_assert_ptr_nonnull(inos);
	ck_assert_ptr_nonnull(counts);
	for (i = 0; i < MANY; i++) {
		inos[i] = scattered(7, i);
		counts[i] = below(&r, 5) + 1;
		expect(lookup_add(t, inos[i], counts[i]) == 0, "add %zu", i);
		if (i % 10007 == 0)
			check_all(inos, counts, i + 1);
	}
	check_all(inos, counts, MANY);
	/* a second pass adds to what is there */
	for (i = 0; i < MANY; i += 3) {
		expect(lookup_add(t, inos[i], 2) == 0, "add %zu", i);
		counts[i] += 2;
	}
	check_all(inos, counts, MANY);
	/* inodes never added are unknown */
	for (i = 0; i < 10000; i++)
		expect(lookup_count(t, scattered(8, i)) == 0, "stray %zu", i);
	free(inos);
	free(counts);
}
END_TEST

START_TEST(test_growth_sequential)
{
	uint64_t *inos = malloc(MANY * sizeof(*inos));
	uint64_t *counts = malloc(MANY * sizeof(*counts));
	size_t i;

	ck_assert_ptr_nonnull(inos);
	ck_assert_ptr_nonnull(counts);
	for (i = 0; i < MANY; i++) {
		inos[i] = i + 1;
		counts[i] = i % 7 + 1;
		expect(lookup_add(t, inos[i], counts[i]) == 0, "add %zu", i);
	}
	check_all(inos, counts, MANY);
	ck_assert_uint_eq(lookup_count(t, MANY + 1), 0);
	free(inos);
	free(counts);
}
END_TEST

START_TEST(test_removal_keeps_others)
{
	uint64_t *inos = malloc(MANY * sizeof(*inos));
	uint64_t *counts = malloc(MANY * sizeof(*counts));
	size_t i;

	ck_assert_ptr_nonnull(inos);
	ck_assert_ptr_nonnull(counts);
	for (i = 0; i < MANY; i++) {
		inos[i] = scattered(9, i);
		counts[i] = 1;
		expect(lookup_add(t, inos[i], 1) == 0, "add %zu", i);
	}
	/* drop every other one, then every third of the rest */
	for (i = 0; i < MANY; i += 2) {
		expect(lookup_drop(t, inos[i], 1) == 0, "drop %zu", i);
		counts[i] = 0;
	}
	check_all(inos, counts, MANY);
	for (i = 1; i < MANY; i += 6) {
		expect(lookup_drop(t, inos[i], 5) == LOOKUP_TOO_MANY,
		       "drop %zu", i);
		counts[i] = 0;
	}
	check_all(inos, counts, MANY);
	/* drop the rest, in reverse (and what is gone, again) */
	for (i = MANY; i-- > 0;) {
		expect(lookup_drop(t, inos[i], 1) ==
			       (counts[i] ? 0 : LOOKUP_TOO_MANY),
		       "drop %zu", i);
		counts[i] = 0;
	}
	check_all(inos, counts, MANY);
	ck_assert_uint_eq(lookup_size(t), 0);
	free(inos);
	free(counts);
}
END_TEST

/*
 * Random adds and drops over a small universe of inodes, so that entries
 * come and go in long probe runs, checked against the model after every
 * step for the touched inode and in full every so often.
 */
static void run_model(uint64_t seed, const uint64_t *universe, size_t n,
		      unsigned steps)
{
	uint64_t *counts = calloc(n, sizeof(*counts));
	struct rng r = {.state = seed};
	unsigned step;

	ck_assert_ptr_nonnull(counts);
	for (step = 0; step < steps; step++) {
		size_t i = (size_t) below(&r, n);
		uint64_t k = below(&r, 4) + 1, left, want;

		if (below(&r, 100) < 52) {
			expect(lookup_add(t, universe[i], k) == 0, "add");
			counts[i] += k;
		} else {
			left = lookup_drop(t, universe[i], k);
			want = counts[i] >= k ? counts[i] - k : LOOKUP_TOO_MANY;
			expect(left == want,
			       "seed %llu step %u: drop left %llu, "
			       "want %llu",
			       (unsigned long long) seed, step,
			       (unsigned long long) left,
			       (unsigned long long) want);
			counts[i] = want == LOOKUP_TOO_MANY ? 0 : want;
		}
		if (step % 997 == 0)
			check_all(universe, counts, n);
	}
	check_all(universe, counts, n);
	/* empty it in random order; everything left stays findable */
	for (step = 0; lookup_size(t) > 0; step++) {
		size_t i = (size_t) below(&r, n);

		expect(lookup_drop(t, universe[i], UINT64_MAX) ==
			       LOOKUP_TOO_MANY,
		       "drop");
		counts[i] = 0;
		if (step % 101 == 0)
			check_all(universe, counts, n);
		expect(step < 100 * n + 100000, "never empties");
	}
	check_all(universe, counts, n);
	free(counts);
}

START_TEST(test_model_random)
{
	static uint64_t universe[3000];
	uint64_t seed;
	size_t i;

	for (seed = 1; seed <= 8; seed++) {
		for (i = 0; i < 3000; i++)
			universe[i] = scattered(seed + 100, i);
		run_model(seed, universe, 3000, 60000);
	}
}
END_TEST

START_TEST(test_model_dense)
{
	static uint64_t universe[5000];
	size_t i;

	/* neighbouring numbers, as inodes are handed out */
	for (i = 0; i < 5000; i++)
		universe[i] = i + 1;
	run_model(42, universe, 5000, 100000);
}
END_TEST

/*
 * The hash of lookup.c, to build inode sets whose home slots crowd into a
 * few slots at the wrap-around of the smallest table (1024 slots).  If
 * lookup.c changes its hash or size this test still checks correctness,
 * only less sharply.
 */
static uint64_t home_of(uint64_t ino, uint64_t mask)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	ino ^= ino >> 33;
	return ino & mask;
}

START_TEST(test_wraparound_clusters)
{
	uint64_t universe[200], ino;
	size_t n = 0;
	unsigned seed;

	/* homes in {1020..1023, 0..3}: runs that wrap past the last slot */
	for (ino = 1; n < 200; ino++) {
		uint64_t h = home_of(ino, 1023);

		if (h >= 1020 || h <= 3)
			universe[n++] = ino;
	}
	for (seed = 1; seed <= 20; seed++)
		run_model(seed, universe, n, 20000);
	/* a single home slot, all colliding */
	for (n = 0, ino = 1; n < 200; ino++)
		if (home_of(ino, 1023) == 1023)
			universe[n++] = ino;
	for (seed = 21; seed <= 30; seed++)
		run_model(seed, universe, n, 20000);
}
END_TEST

START_TEST(test_size)
{
	uint64_t i;

	for (i = 1; i <= 1000; i++)
		ck_assert_int_eq(lookup_add(t, i * 1024, 1), 0);
	ck_assert_uint_eq(lookup_size(t), 1000);
	for (i = 1; i <= 1000; i++)
		ck_assert_int_eq(lookup_add(t, i * 1024, 1), 0);
	ck_assert_uint_eq(lookup_size(t), 1000);
	for (i = 1; i <= 500; i++)
		ck_assert_uint_eq(lookup_drop(t, i * 1024, 1), 1);
	ck_assert_uint_eq(lookup_size(t), 1000);
	for (i = 1; i <= 500; i++)
		ck_assert_uint_eq(lookup_drop(t, i * 1024, 1), 0);
	ck_assert_uint_eq(lookup_size(t), 500);
	for (i = 501; i <= 1000; i++)
		ck_assert_uint_eq(lookup_count(t, i * 1024), 2);
}
END_TEST

/*
 * A forget of more references than the table holds is a disagreement with
 * the kernel (an inode deleted too early, perhaps): said by the return
 * value, which no count can take.
 */
START_TEST(test_drop_disagreement)
{
	ck_assert_int_eq(lookup_add(t, 42, 3), 0);
	ck_assert_uint_eq(lookup_drop(t, 42, 4), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_count(t, 42), 0);
	ck_assert_uint_eq(lookup_size(t), 0);
	/* an inode the table does not know */
	ck_assert_uint_eq(lookup_drop(t, 42, 1), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_drop(t, 0, 1), LOOKUP_TOO_MANY);
	ck_assert_uint_eq(lookup_drop(t, 42, 0), 0);
	/* all of them, exactly: no disagreement */
	ck_assert_int_eq(lookup_add(t, 43, 2), 0);
	ck_assert_uint_eq(lookup_drop(t, 43, 2), 0);
	/* no count reaches LOOKUP_TOO_MANY */
	ck_assert_int_eq(lookup_add(t, 44, UINT64_MAX - 1), 0);
	ck_assert_int_eq(lookup_add(t, 44, 1), -EOVERFLOW);
	ck_assert_uint_eq(lookup_count(t, 44), UINT64_MAX - 1);
	ck_assert_int_eq(lookup_add(t, 45, UINT64_MAX), -EOVERFLOW);
	ck_assert_uint_eq(lookup_count(t, 45), 0);
	ck_assert_uint_eq(lookup_size(t), 1);
	ck_assert_uint_eq(lookup_drop(t, 44, UINT64_MAX - 1), 0);
	ck_assert_uint_eq(lookup_size(t), 0);
}
END_TEST

static Suite *lookup_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc;

	tc = tcase_create("semantics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_add_count);
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_drop_more_than_held);
	tcase_add_test(tc, test_ino_zero);
	tcase_add_test(tc, test_large_counts);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_drop_disagreement);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_growth_random);
	tcase_add_test(tc, test_growth_sequential);
	tcase_add_test(tc, test_removal_keeps_others);
	tcase_add_test(tc, test_model_random);
	tcase_add_test(tc, test_model_dense);
	tcase_add_test(tc, test_wraparound_clusters);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lookup_suite());
	int failed;

	srunner_set_tap(sr, "/dev/stdout");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
