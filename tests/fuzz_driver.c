/*
 * fuzz_driver.c - the standalone mutation fuzzer of fuzz_driver.h
 *
 * The parent process makes the seeds, then forks one child per batch of
 * inputs.  The child makes each input from its index alone (the seed it
 * starts from and the mutations come from a generator seeded with --seed
 * and the index), copies it into memory shared with the parent, marks it
 * running, arms alarm(2) and calls the target.  So when a child dies the
 * parent knows which input did it and writes that input out: a signal
 * while an input ran is a crash (SIGALRM: a hang), a non-zero exit after
 * the batch is a leak found by LeakSanitizer at exit.
 */
#include "fuzz_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long local_stats[FUZZ_NSTATS];
static unsigned long *stats = local_stats;

void fuzz_count(int i, unsigned long n)
{
	if (i >= 0 && i < FUZZ_NSTATS)
		stats[i] += n;
}

void fuzz_log_quiet(enum fuse_log_level level, const char *fmt, va_list ap)
{
	(void) level;
	(void) fmt;
	(void) ap;
}

#ifndef FUZZING_ENGINE

#define BATCH 256 /* inputs per child process */

/* What the parent and its children share. */
struct shared {
	uint64_t runs;	/* inputs finished, by every child so far */
	uint64_t index; /* the input running or last run */
	int busy;	/* the target is running on it */
	double slowest; /* seconds of the slowest input so far */
	uint64_t slowest_index;
	size_t size;
	unsigned long stats[FUZZ_NSTATS];
	uint8_t input[FUZZ_MAX_INPUT];
};

struct seed {
	char *name;
	uint8_t *data;
	size_t size;
};

static struct seed *seeds;
static size_t nseeds;
static struct shared *sh;
static const char *prog;
static uint64_t opt_seed = 1;
static unsigned opt_timeout = 10;

uint64_t fuzz_rand(struct fuzz_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t fuzz_below(struct fuzz_rng *r, uint64_t n)
{
	return n ? fuzz_rand(r) % n : 0;
}

int fuzz_add_seed(const char *name, const void *data, size_t size)
{
	struct seed *more = realloc(seeds, (nseeds + 1) * sizeof(*seeds));

	if (!more)
		return -1;
	seeds = more;
	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	seeds[nseeds].name = strdup(name);
	seeds[nseeds].data = malloc(size ? size : 1);
	if (!seeds[nseeds].name || !seeds[nseeds].data) {
		free(seeds[nseeds].name);
		free(seeds[nseeds].data);
		return -1;
	}
	memcpy(seeds[nseeds].data, data, size);
	seeds[nseeds].size = size;
	nseeds++;
	return 0;
}

size_t fuzz_nseeds(void)
{
	return nseeds;
}

const uint8_t *fuzz_seed(size_t i, size_t *size)
{
	*size = seeds[i].size;
	return seeds[i].data;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Input index of the fuzzing run, into sh: a mutated copy of a seed. */
static void make_input(uint64_t index)
{
	struct fuzz_rng rng = {opt_seed * 0x100000001b3ULL ^ index};
	size_t s;

	fuzz_rand(&rng);
	s = (size_t) fuzz_below(&rng, nseeds);
	memcpy(sh->input, seeds[s].data, seeds[s].size);
	sh->size = fuzz_mutate(sh->input, seeds[s].size, FUZZ_MAX_INPUT, &rng);
}

/* The child: runs inputs first..last-1 (seeds themselves if !mutate). */
static void child(uint64_t first, uint64_t last, int mutate, double deadline)
{
	double t;
	uint64_t i;

	stats = sh->stats;
	for (i = first; i < last && (!deadline || now() < deadline); i++) {
		sh->index = i;
		if (mutate) {
			make_input(i);
		} else {
			memcpy(sh->input, seeds[i].data, seeds[i].size);
			sh->size = seeds[i].size;
		}
		sh->busy = 1;
		t = now();
		alarm(opt_timeout);
		LLVMFuzzerTestOneInput(sh->input, sh->size);
		alarm(0);
		t = now() - t;
		sh->busy = 0;
		if (t > sh->slowest) {
			sh->slowest = t;
			sh->slowest_index = i;
		}
		sh->runs++;
	}
	exit(0); /* LeakSanitizer checks the batch here */
}

/* Writes the input in sh to a file; prints its name. */
static void save_input(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-crash-%llu-%llu",
		 tmp && *tmp ? tmp : "/tmp", prog,
		 (unsigned long long) opt_seed, (unsigned long long) sh->index);
	f = fopen(path, "w");
	if (!f || fwrite(sh->input, 1, sh->size, f) != sh->size ||
	    fclose(f) != 0) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	printf("# the input is in %s; replay: %s %s\n", path, prog, path);
}

/*
 * Runs inputs [first, last) in children until the deadline (0: none).
 * Returns 0, or -1 after reporting a failure on stdout.
 */
static int run_inputs(uint64_t first, uint64_t last, int mutate,
		      double deadline)
{
	uint64_t next = first, end;
	pid_t pid;
	int st;

	sh->runs = 0;
	sh->slowest = 0;
	while (next < last && (!deadline || now() < deadline)) {
		end = last - next > BATCH ? next + BATCH : last;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("# fork: %s\n", strerror(errno));
			return -1;
		}
		if (pid == 0)
			child(next, end, mutate, deadline);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !sh->busy) {
			next = first + sh->runs;
			continue;
		}
		if (!sh->busy) {
			printf("# inputs %llu to %llu: exit status %d after "
			       "they ran (a leak?); replay: %s --seed %llu "
			       "--first %llu --runs %llu\n",
			       (unsigned long long) next,
			       (unsigned long long) (end - 1),
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1, prog,
			       (unsigned long long) opt_seed,
			       (unsigned long long) next,
			       (unsigned long long) (end - next));
			return -1;
		}
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			printf("# input %llu hung (more than %u s)\n",
			       (unsigned long long) sh->index, opt_timeout);
		else if (WIFSIGNALED(st))
			printf("# input %llu: killed by signal %d (%s)\n",
			       (unsigned long long) sh->index, WTERMSIG(st),
			       strsignal(WTERMSIG(st)));
		else
			printf("# input %llu: exit status %d\n",
			       (unsigned long long) sh->index, WEXITSTATUS(st));
		save_input();
		return -1;
	}
	return 0;
}

static int write_seeds(const char *dir)
{
	char path[4096];
	size_t i;
	FILE *f;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < nseeds; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		f = fopen(path, "w");
		if (!f ||
		    fwrite(seeds[i].data, 1, seeds[i].size, f) !=
			    seeds[i].size ||
		    fclose(f) != 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, path,
				strerror(errno));
			return 1;
		}
	}
	printf("%s: %zu seeds written to %s\n", prog, nseeds, dir);
	return 0;
}

/* Runs each file as one input, in this process. */
static int replay(char **files, int n)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
	size_t size;
	FILE *f;
	int i;

	for (i = 0; i < n; i++) {
		f = fopen(files[i], "r");
		if (!f) {
			printf("not ok %d - %s: %s\n", i + 1, files[i],
			       strerror(errno));
			return 1;
		}
		size = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		alarm(opt_timeout);
		LLVMFuzzerTestOneInput(buf, size);
		alarm(0);
		printf("ok %d - %s (%zu bytes)\n", i + 1, files[i], size);
	}
	printf("1..%d\n", n);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--seconds N] [--runs N] [--seed S] [--first I] "
		"[--timeout S]\n"
		"       %s --write-seeds DIR\n"
		"       %s FILE...\n",
		prog, prog, prog);
	exit(2);
}

/* The summary line of the harness's counters. */
static void print_stats(void)
{
	int i;

	printf("#");
	for (i = 0; i < FUZZ_NSTATS && fuzz_stat_names[i]; i++)
		printf(" %s %lu%s", fuzz_stat_names[i], sh->stats[i],
		       fuzz_stat_names[i + 1] ? "," : "\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"runs", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 'S'},
		{"first", required_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, 't'},
		{"write-seeds", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	uint64_t runs = UINT64_MAX, first = 0;
	double seconds = -1, start, deadline = 0;
	const char *seed_dir = NULL;
	int c, test = 0, fails = 0;
	size_t i;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			runs = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			opt_seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			first = strtoull(optarg, NULL, 0);
			break;
		case 't':
			opt_timeout = (unsigned) strtoul(optarg, NULL, 0);
			break;
		case 'w':
			seed_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (seconds < 0 && runs == UINT64_MAX)
		seconds = 10;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fuzz_make_seeds() < 0 || nseeds == 0) {
		printf("Bail out! cannot make the seeds\n");
		return 1;
	}
	if (seed_dir)
		return write_seeds(seed_dir);
	if (optind < argc)
		return replay(argv + optind, argc - optind);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < nseeds; i++) {
		if (run_inputs(i, i + 1, 0, 0) < 0) {
			printf("not ok %d - seed %s\n", ++test, seeds[i].name);
			fails++;
		} else {
			printf("ok %d - seed %s (%zu bytes)\n", ++test,
			       seeds[i].name, seeds[i].size);
		}
	}
	memset(sh->stats, 0, sizeof(sh->stats));
	start = now();
	if (seconds >= 0)
		deadline = start + seconds;
	c = run_inputs(first, runs == UINT64_MAX ? UINT64_MAX : first + runs, 1,
		       deadline);
	printf("# seed %llu: %llu inputs in %.1f s (%.0f/s)\n",
	       (unsigned long long) opt_seed, (unsigned long long) sh->runs,
	       now() - start, sh->runs / (now() - start + 1e-9));
	print_stats();
	printf("# slowest: input %llu, %.3f s\n",
	       (unsigned long long) sh->slowest_index, sh->slowest);
	if (c < 0) {
		printf("not ok %d - mutated inputs: one failed after %llu "
		       "ran\n",
		       ++test, (unsigned long long) sh->runs);
		fails++;
	} else {
		printf("ok %d - %llu mutated inputs: none crashed, hung or "
		       "leaked\n",
		       ++test, (unsigned long long) sh->runs);
	}
	printf("1..%d\n", test);
	return fails ? 1 : 0;
}
#endif
