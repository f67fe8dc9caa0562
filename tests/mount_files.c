/*
 * mount_files.c - mount_test cases: files (create, write, read, truncate,
 *   holes, fallocate, names)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_test.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <time.h>
#include <unistd.h>

/* ---- files --------------------------------------------------------- */

START_TEST(file_excl)
{
	int fd;

	setup("file_excl");
	OK(fd = open(case_path("f"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	OK(close(fd));
	FAILS(open(case_path("f"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	OK(symlink("dangling", case_path("l")));
	FAILS(open(case_path("l"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	ck_assert(!exists(case_path("dangling")));
	FAILS(open(case_path("missing"), O_RDONLY), ENOENT);
}
END_TEST

START_TEST(file_trunc)
{
	struct stat st;
	int fd;

	setup("file_trunc");
	put(case_path("f"), "0123456789", 10);
	OK(fd = open(case_path("f"), O_WRONLY | O_TRUNC));
	st = fst(fd);
	ck_assert_int_eq(st.st_size, 0);
	pwrite_all(fd, "ab", 2, 0);
	OK(close(fd));
	expect_file(case_path("f"), "ab", 2);
}
END_TEST

START_TEST(file_append)
{
	int fd;

	setup("file_append");
	put(case_path("f"), "hello", 5);
	OK(fd = open(case_path("f"), O_WRONLY | O_APPEND));
	ck_assert_int_eq(write(fd, " world", 6), 6);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 11);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(write(fd, "!", 1), 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 12);
	OK(close(fd));
	expect_file(case_path("f"), "hello world!", 12);
}
END_TEST

/* Several writes at odd offsets across 64 KiB blocks, against a model. */
START_TEST(file_pwrite_pread)
{
	static char model[400 * 1024], buf[sizeof(model)], chunk[100 * 1024];
	static const struct {
		off_t off;
		size_t len;
	} w[] = {
		{0, 1000},	 {65535, 2},	     {65536 - 10, 70000},
		{131071, 65537}, {300000, 100000},   {5, 3},
		{196608, 65536}, {65536 * 2 - 1, 1}, {250000, 1},
	};
	size_t i, end = 0;
	int fd;

	setup("file_pwrite_pread");
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	memset(model, 0, sizeof(model));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(chunk, w[i].len, (unsigned) i + 1);
		pwrite_all(fd, chunk, w[i].len, w[i].off);
		memcpy(model + w[i].off, chunk, w[i].len);
		if ((size_t) w[i].off + w[i].len > end)
			end = (size_t) w[i].off + w[i].len;
	}
	ck_assert_int_eq(fst(fd).st_size, (off_t) end);
	/* the descriptor's offset is untouched by pwrite */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), end);
	ck_assert_msg(memcmp(buf, model, end) == 0, "content differs");
	ck_assert_uint_eq(pread_all(fd, buf, 10, 65530), 10);
	ck_assert_msg(memcmp(buf, model + 65530, 10) == 0, "pread at 65530");
	OK(close(fd));
	expect_file(case_path("f"), model, end);
}
END_TEST

START_TEST(file_read_eof)
{
	char buf[16];
	int fd;

	setup("file_read_eof");
	put(case_path("f"), "abc", 3);
	OK(fd = open(case_path("f"), O_RDONLY));
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 1), 2);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 3), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 1000000), 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	OK(close(fd));
	put(case_path("empty"), "", 0);
	OK(fd = open(case_path("empty"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	OK(close(fd));
}
END_TEST

START_TEST(file_truncate)
{
	static char big[200000];
	int fd;

	setup("file_truncate");
	put(case_path("f"), "abcdef", 6);
	OK(truncate(case_path("f"), 3));
	expect_file(case_path("f"), "abc", 3);
	OK(truncate(case_path("f"), 100000));
	ck_assert_int_eq(lst(case_path("f")).st_size, 100000);
	OK(fd = open(case_path("f"), O_RDWR));
	expect_zeros(fd, 3, 100000 - 3);
	/* shrink inside a block, grow again: the cut bytes must not return */
	memset(big, 'x', sizeof(big));
	pwrite_all(fd, big, sizeof(big), 0);
	OK(ftruncate(fd, 1000));
	ck_assert_int_eq(fst(fd).st_size, 1000);
	OK(ftruncate(fd, 200000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	ck_assert_uint_eq(pread_all(fd, big, 1000, 0), 1000);
	ck_assert_msg(big[0] == 'x' && big[999] == 'x', "kept bytes lost");
	expect_zeros(fd, 1000, 200000 - 1000);
	OK(ftruncate(fd, 0));
	ck_assert_int_eq(fst(fd).st_size, 0);
	ck_assert_int_eq(pread(fd, big, 10, 0), 0);
	OK(close(fd));
	FAILS(truncate(case_path("f"), -1), EINVAL);
	/* cuts at and next to a 64 KiB boundary */
	memset(big, 'y', sizeof(big));
	put(case_path("g"), big, sizeof(big));
	OK(truncate(case_path("g"), 65536));
	OK(truncate(case_path("g"), 65537));
	OK(truncate(case_path("g"), 131072));
	OK(fd = open(case_path("g"), O_RDONLY));
	ck_assert_uint_eq(pread_all(fd, big, 2, 65535), 2);
	ck_assert_msg(big[0] == 'y' && big[1] == 0, "bytes at 65535: %d %d",
		      big[0], big[1]);
	expect_zeros(fd, 65536, 65536);
	OK(close(fd));
}
END_TEST

START_TEST(file_holes)
{
	char buf[10];
	int fd;

	setup("file_holes");
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, "end", 3, MIB + 5);
	ck_assert_int_eq(fst(fd).st_size, MIB + 8);
	expect_zeros(fd, 0, MIB + 5);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), MIB + 5), 3);
	ck_assert(memcmp(buf, "end", 3) == 0);
	/* a hole between two blocks of data */
	pwrite_all(fd, "start", 5, 0);
	expect_zeros(fd, 5, MIB);
	OK(close(fd));
}
END_TEST

/* Data past 4 GiB and past 1 TiB in a sparse file. */
START_TEST(file_sparse_huge)
{
	static const off_t offs[] = {4 * GIB + 12345, TIB + 777};
	char data[4096], buf[4096];
	struct stat st;
	size_t i;
	int fd;

	setup("file_sparse_huge");
	for (i = 0; i < 2; i++) {
		OK(fd = open(case_path("f%zu", i), O_RDWR | O_CREAT, 0644));
		fill(data, sizeof(data), (unsigned) i + 7);
		pwrite_all(fd, data, sizeof(data), offs[i]);
		OK(fsync(fd));
		st = fst(fd);
		ck_assert_int_eq(st.st_size, offs[i] + 4096);
		ck_assert_msg(st.st_blocks * 512 < st.st_size / 1024,
			      "st_blocks %lld for a sparse file of %lld bytes",
			      (long long) st.st_blocks, (long long) st.st_size);
		ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), offs[i]),
				  sizeof(buf));
		ck_assert_msg(memcmp(buf, data, sizeof(buf)) == 0,
			      "data at %lld differs", (long long) offs[i]);
		expect_zeros(fd, offs[i] - 100000, 100000);
		expect_zeros(fd, 0, 100000);
		expect_zeros(fd, 2 * GIB - 50000, 100000);
		ck_assert_int_eq(pread(fd, buf, 10, offs[i] + 4096), 0);
		OK(close(fd));
		st = lst(case_path("f%zu", i));
		ck_assert_int_eq(st.st_size, offs[i] + 4096);
	}
}
END_TEST

START_TEST(file_dense_blocks)
{
	static char data[MIB];
	struct stat st;
	int fd;

	setup("file_dense_blocks");
	fill(data, sizeof(data), 3);
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, sizeof(data), 0);
	OK(fsync(fd));
	st = fst(fd);
	OK(close(fd));
	ck_assert_int_eq(st.st_size, MIB);
	ck_assert_msg(st.st_blocks >= 2048, "st_blocks %lld for 1 MiB",
		      (long long) st.st_blocks);
	st = lst(case_path("f"));
	ck_assert_msg(st.st_blocks >= 2048, "st_blocks %lld for 1 MiB",
		      (long long) st.st_blocks);
	expect_file(case_path("f"), data, sizeof(data));
}
END_TEST

/*
 * Holes are seen at the granularity of a block, which st_blksize gives
 * (64 KiB here): a 4 KiB hole between two writes inside one block reads
 * as zeros but is data to SEEK_HOLE; the bytes past the last write of a
 * block are a hole.  ext4 sees the 4 KiB hole.
 */
START_TEST(file_seek_granularity)
{
	static char data[4096];
	off_t bs, hole;
	int fd;

	setup("file_seek_granularity");
	fill(data, sizeof(data), 10);
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, sizeof(data), 0);
	pwrite_all(fd, data, sizeof(data), 8192);
	OK(ftruncate(fd, MIB));
	OK(fsync(fd));
	bs = fst(fd).st_blksize;
	hole = lseek(fd, 4096, SEEK_HOLE);
	if (ref_mode) {
		ck_assert_int_eq(hole, 4096);
	} else {
		ck_assert_int_eq(bs, 65536);
		ck_assert_int_eq(hole, 12288);
		ck_assert_int_eq(lseek(fd, 4096, SEEK_DATA), 4096);
		ck_assert_int_eq(lseek(fd, 12288, SEEK_DATA), -1);
		/* a whole block of hole is seen where it starts */
		pwrite_all(fd, data, sizeof(data), 3 * bs);
		OK(fsync(fd));
		ck_assert_int_eq(lseek(fd, bs, SEEK_DATA), 3 * bs);
		ck_assert_int_eq(lseek(fd, bs + 1, SEEK_HOLE), bs + 1);
	}
	expect_zeros(fd, 4096, 4096);
	OK(close(fd));
}
END_TEST

/* Data in [0, 1M) and [2M, 3M), holes in [1M, 2M) and [3M, 4M). */
START_TEST(file_seek_data_hole)
{
	static char data[MIB];
	int fd;

	setup("file_seek_data_hole");
	fill(data, sizeof(data), 9);
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, MIB, 0);
	pwrite_all(fd, data, MIB, 2 * MIB);
	OK(ftruncate(fd, 4 * MIB));
	OK(fsync(fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), MIB);
	ck_assert_int_eq(lseek(fd, 1000, SEEK_HOLE), MIB);
	ck_assert_int_eq(lseek(fd, MIB, SEEK_DATA), 2 * MIB);
	ck_assert_int_eq(lseek(fd, MIB + 4096, SEEK_DATA), 2 * MIB);
	ck_assert_int_eq(lseek(fd, MIB + 4096, SEEK_HOLE), MIB + 4096);
	ck_assert_int_eq(lseek(fd, 2 * MIB, SEEK_HOLE), 3 * MIB);
	FAILS(lseek(fd, 3 * MIB, SEEK_DATA), ENXIO);
	ck_assert_int_eq(lseek(fd, 3 * MIB + 5, SEEK_HOLE), 3 * MIB + 5);
	FAILS(lseek(fd, 4 * MIB, SEEK_DATA), ENXIO);
	FAILS(lseek(fd, 4 * MIB, SEEK_HOLE), ENXIO);
	FAILS(lseek(fd, 5 * MIB, SEEK_HOLE), ENXIO);
	OK(close(fd));
	/* a hole first, then data to the end */
	OK(fd = open(case_path("g"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, MIB, MIB);
	OK(fsync(fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), MIB);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), 0);
	ck_assert_int_eq(lseek(fd, MIB, SEEK_HOLE), 2 * MIB);
	FAILS(lseek(fd, 2 * MIB, SEEK_DATA), ENXIO);
	/* the descriptor's offset moved to the last answer */
	ck_assert_int_eq(lseek(fd, 10, SEEK_DATA), MIB);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), MIB);
	OK(close(fd));
}
END_TEST

START_TEST(file_fallocate)
{
	static char data[300 * 1024], buf[sizeof(data)];
	struct stat st;
	int fd;

	setup("file_fallocate");
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	/* mode 0: the size grows, the new range reads as zeros */
	OK(fallocate(fd, 0, 0, 200000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	expect_zeros(fd, 0, 200000);
	/* a range inside the file changes nothing */
	OK(fallocate(fd, 0, 1000, 1000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	/* more than the disk holds: ENOSPC, and the size stays (not in
	 * reference mode: ext4 keeps what it allocated until it ran out) */
	if (!ref_mode) {
		ck_assert_int_eq(fallocate(fd, 0, 0, (off_t) 1 << 43), -1);
		ck_assert_int_eq(errno, ENOSPC);
		ck_assert_int_eq(fst(fd).st_size, 200000);
	}
	/* KEEP_SIZE past the end leaves the size alone */
	OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 100000, 500000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	ck_assert_int_eq(pread(fd, buf, 10, 200000), 0);

	/* PUNCH_HOLE: the range reads zero, the bytes around stay */
	fill(data, sizeof(data), 5);
	pwrite_all(fd, data, sizeof(data), 0);
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000,
		     200000));
	st = fst(fd);
	ck_assert_int_eq(st.st_size, sizeof(data));
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), sizeof(data));
	ck_assert_msg(memcmp(buf, data, 1000) == 0, "bytes before the hole");
	ck_assert_msg(all_zero(buf + 1000, 200000), "hole not zero");
	ck_assert_msg(
		memcmp(buf + 201000, data + 201000, sizeof(data) - 201000) == 0,
		"bytes after the hole");
	/* punching past the end does not grow the file */
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		     sizeof(data) - 10, 100000));
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	expect_zeros(fd, sizeof(data) - 10, 10);
	/* ZERO_RANGE, on bytes still in the kernel's cache: zeros, the
	 * bytes around stay */
	pwrite_all(fd, data, sizeof(data), 0);
	OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 4096, 8192));
	/* unaligned, across a block boundary, keeping the size */
	OK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 65000,
		     1000));
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), sizeof(data));
	ck_assert_msg(memcmp(buf, data, 4096) == 0, "before the zeros");
	ck_assert_msg(all_zero(buf + 4096, 8192), "zero range not zero");
	ck_assert_msg(memcmp(buf + 12288, data + 12288, 65000 - 12288) == 0,
		      "between the ranges");
	ck_assert_msg(all_zero(buf + 65000, 1000), "second range not zero");
	ck_assert_msg(memcmp(buf + 66000, data + 66000, sizeof(data) - 66000) ==
			      0,
		      "after the zeros");
	/* past the end keeping the size: only what is inside changes */
	OK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		     sizeof(data) - 10, 100000));
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	expect_zeros(fd, sizeof(data) - 10, 10);
	/* past the end: the file grows, and the new range reads zero */
	pwrite_all(fd, "tail", 4, sizeof(data) - 4);
	OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, sizeof(data) - 2, 5000));
	ck_assert_int_eq(fst(fd).st_size, sizeof(data) - 2 + 5000);
	ck_assert_uint_eq(pread_all(fd, buf, 2, sizeof(data) - 4), 2);
	ck_assert_msg(memcmp(buf, "ta", 2) == 0, "bytes before the zeros");
	expect_zeros(fd, sizeof(data) - 2, 5000);
	FAILS2(fallocate(fd,
			 FALLOC_FL_ZERO_RANGE | FALLOC_FL_PUNCH_HOLE |
				 FALLOC_FL_KEEP_SIZE,
			 0, 10),
	       EINVAL, EOPNOTSUPP);
	ck_assert_int_eq(fst(fd).st_size, sizeof(data) - 2 + 5000);
	OK(ftruncate(fd, sizeof(data)));

	/* PUNCH_HOLE without KEEP_SIZE is invalid */
	FAILS2(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EINVAL,
	       EOPNOTSUPP);
	/* a collapse that is not block aligned */
	FAILS2(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 1, 3), EOPNOTSUPP,
	       EINVAL);
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	FAILS(fallocate(fd, 0, 0, 0), EINVAL);
	OK(close(fd));
}
END_TEST

START_TEST(file_copy_range)
{
	static char data[300 * 1024], want[400 * 1024];
	loff_t in_off = 1000, out_off = 5000;
	size_t left = 200000;
	ssize_t n;
	int in, out;

	setup("file_copy_range");
	fill(data, sizeof(data), 11);
	put(case_path("src"), data, sizeof(data));
	put(case_path("dst"), "head", 4);
	OK(in = open(case_path("src"), O_RDONLY));
	OK(out = open(case_path("dst"), O_WRONLY));
	while (left) {
		n = copy_file_range(in, &in_off, out, &out_off, left, 0);
		ck_assert_msg(n > 0, "copy_file_range: %zd (%s)", n, en(errno));
		left -= (size_t) n;
	}
	ck_assert_int_eq(in_off, 201000);
	ck_assert_int_eq(out_off, 205000);
	/* at the end of the source it copies nothing */
	in_off = sizeof(data);
	ck_assert_int_eq(copy_file_range(in, &in_off, out, &out_off, 10, 0), 0);
	OK(close(in));
	OK(close(out));
	memset(want, 0, sizeof(want));
	memcpy(want, "head", 4);
	memcpy(want + 5000, data + 1000, 200000);
	expect_file(case_path("dst"), want, 205000);
	expect_file(case_path("src"), data, sizeof(data));
}
END_TEST

START_TEST(file_name_max)
{
	char name[300];
	int fd;

	setup("file_name_max");
	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	OK(fd = open(case_path("%s", name), O_WRONLY | O_CREAT, 0644));
	OK(close(fd));
	ck_assert(exists(case_path("%s", name)));
	OK(mkdir(case_path("d"), 0755));
	OK(mkdir(case_path("d/%s", name), 0755));
	OK(rename(case_path("%s", name), case_path("d/%s/%s", name, name)));
	ck_assert(exists(case_path("d/%s/%s", name, name)));
	name[255] = 'n';
	name[256] = '\0';
	FAILS(open(case_path("%s", name), O_WRONLY | O_CREAT, 0644),
	      ENAMETOOLONG);
	FAILS(mkdir(case_path("%s", name), 0755), ENAMETOOLONG);
	FAILS(access(case_path("%s", name), F_OK), ENAMETOOLONG);
	FAILS(symlink("x", case_path("%s", name)), ENAMETOOLONG);
	FAILS(rename(case_path("d"), case_path("%s", name)), ENAMETOOLONG);
	ck_assert(exists(case_path("d")));
}
END_TEST

START_TEST(file_odd_names)
{
	static const char *const names[] = {
		"\x01start",
		"with space",
		" lead",
		"trail ",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"bad\xff\xfe",
		"tab\tnl\n",
		"-dash",
		"quote'\"",
		"back\\slash",
		"%s%n",
		"...",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	bool seen[sizeof(names) / sizeof(names[0])] = {false};
	struct dirent *de;
	size_t i, total = 0;
	DIR *d;

	setup("file_odd_names");
	for (i = 0; i < n; i++)
		put(case_path("%s", names[i]), names[i], strlen(names[i]));
	d = opendir(case_path("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		total++;
		for (i = 0; i < n; i++)
			if (!strcmp(de->d_name, names[i]))
				break;
		ck_assert_msg(i < n, "unexpected name in readdir: %s",
			      de->d_name);
		ck_assert_msg(!seen[i], "name listed twice: %s", names[i]);
		seen[i] = true;
	}
	closedir(d);
	ck_assert_uint_eq(total, n);
	for (i = 0; i < n; i++)
		expect_file(case_path("%s", names[i]), names[i],
			    strlen(names[i]));
}
END_TEST

Suite *files_suite(void)
{
	Suite *s = suite_create("files");

	ADD(s, file_excl);
	ADD(s, file_trunc);
	ADD(s, file_append);
	ADD(s, file_pwrite_pread);
	ADD(s, file_read_eof);
	ADD(s, file_truncate);
	ADD(s, file_holes);
	ADD(s, file_sparse_huge);
	ADD(s, file_dense_blocks);
	ADD(s, file_seek_granularity);
	ADD(s, file_seek_data_hole);
	ADD(s, file_fallocate);
	ADD(s, file_copy_range);
	ADD(s, file_name_max);
	ADD(s, file_odd_names);
	return s;
}
