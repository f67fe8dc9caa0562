/*
 * fuzz_driver.h - a small mutation fuzzer around a libFuzzer target
 *
 * A harness (fuzz_db.c, fuzz_opts.c) defines LLVMFuzzerTestOneInput().
 * Built with -DFUZZING_ENGINE and -fsanitize=fuzzer, libFuzzer drives it.
 * Otherwise fuzz_driver.c's main() does, for the test suite: it asks the
 * harness for seed inputs, then runs mutated copies of them in child
 * processes (one batch of inputs per child, so that a crash, a hang or a
 * leak is the child's and is reported with the input that caused it).
 *
 *	NAME [--seconds N] [--runs N] [--seed S] [--first I] [--timeout S]
 *	NAME --write-seeds DIR
 *	NAME FILE...
 *
 * Output is TAP.  An input that crashes or hangs (more than --timeout
 * seconds, 10 by default) is written to ${TMPDIR:-/tmp} and named in the
 * report: "NAME FILE" replays it.
 */
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <fuse_log.h>

/* Largest input the driver makes. */
#define FUZZ_MAX_INPUT (4 << 20)

/* What a harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fuse_log function that drops every message (db.c's, libfuse's). */
void fuzz_log_quiet(enum fuse_log_level level, const char *fmt, va_list ap);

/* Counters of what happened to the inputs, for the summary. */
#define FUZZ_NSTATS 8
/* Adds n to counter i of the harness (0 <= i < FUZZ_NSTATS). */
void fuzz_count(int i, unsigned long n);

#ifndef FUZZING_ENGINE
/* A seeded random number generator (splitmix64). */
struct fuzz_rng {
	uint64_t state;
};

uint64_t fuzz_rand(struct fuzz_rng *r);

/* A number in [0, n); 0 if n is 0. */
uint64_t fuzz_below(struct fuzz_rng *r, uint64_t n);

/* Defined by the harness: NULL-terminated names of its counters. */
extern const char *const fuzz_stat_names[];

/*
 * Defined by the harness: makes its seed inputs and hands each to
 * fuzz_add_seed().  Called once, before any input runs.  Returns 0 or -1.
 */
int fuzz_make_seeds(void);

/* Keeps a copy of a seed input; returns 0 or -1 (out of memory). */
int fuzz_add_seed(const char *name, const void *data, size_t size);

/* How many seeds there are; seed i's bytes and size. */
size_t fuzz_nseeds(void);
const uint8_t *fuzz_seed(size_t i, size_t *size);

/*
 * Defined by the harness: changes buf, which holds size bytes of a copy of
 * a seed and has room for cap, into a new input; returns its size.
 */
size_t fuzz_mutate(uint8_t *buf, size_t size, size_t cap, struct fuzz_rng *rng);
#endif

#endif
