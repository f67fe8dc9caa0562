/*
 * db_test_data.c - db_test cases: file data (src/db_data.c)
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db_test.h"

/* --- file data --------------------------------------------------------- */

/* Unaligned writes over three blocks, read back at every boundary. */
static void check_round_trip(unsigned bs)
{
	size_t len = 2 * bs, whole = 3 * bs;
	off_t off = bs / 2 + 3;
	char *data = malloc(len), *want = calloc(1, whole), *buf;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;
	size_t k;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, bs);
	put(f, off, data, len);
	memcpy(want + off, data, len);
	st = attr(f);
	ck_assert_int_eq(st.st_size, off + (off_t) len);
	ck_assert_int_ge(st.st_blocks * 512, (blkcnt_t) len);
	ck_assert_int_le(st.st_blocks * 512, (blkcnt_t) whole);

	assert_bytes(f, 0, want, (size_t) st.st_size);
	assert_zero(f, 0, (size_t) off);
	/* windows around each block boundary */
	for (k = 1; k <= 2; k++) {
		assert_bytes(f, (off_t) (k * bs - 1), want + k * bs - 1, 2);
		assert_bytes(f, (off_t) (k * bs), want + k * bs, 1);
		assert_bytes(f, (off_t) (k * bs - 7), want + k * bs - 7, 7);
	}
	assert_bytes(f, 1, want + 1, bs);
	assert_bytes(f, bs - 1, want + bs - 1, bs + 2);

	/* overwrite the middle, aligned, one block */
	fill(data, bs, 99);
	put(f, bs, data, bs);
	memcpy(want + bs, data, bs);
	assert_bytes(f, 0, want, (size_t) st.st_size);
	ck_assert_int_eq(size_of(f), st.st_size);

	/* a read larger than the file returns what there is */
	buf = malloc(whole + 100);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(db_read(db, f, 0, whole + 100, buf, DB_ATIME_NOATIME),
			 st.st_size);
	ck_assert_mem_eq(buf, want, (size_t) st.st_size);
	free(buf);
	free(data);
	free(want);
}

START_TEST(test_write_read_blocks)
{
	check_round_trip(db_block_size(db));
}
END_TEST

START_TEST(test_write_read_block_sizes)
{
	static const unsigned sizes[] = {512, 65536};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		close_db();
		rm_tree(case_dir);
		fresh_db(sizes[i]);
		check_round_trip(sizes[i]);
	}
}
END_TEST

START_TEST(test_write_extends_short_block)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char want[300];

	memset(want, 0, sizeof(want));
	put(f, 0, "abc", 3);
	put(f, 200, "xyz", 3);
	memcpy(want, "abc", 3);
	memcpy(want + 200, "xyz", 3);
	ck_assert_int_eq(size_of(f), 203);
	assert_bytes(f, 0, want, 203);
	put(f, 1, "Q", 1);
	want[1] = 'Q';
	assert_bytes(f, 0, want, 203);
	ck_assert_int_eq(size_of(f), 203);
}
END_TEST

START_TEST(test_read_eof)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	char buf[64];

	ck_assert_int_eq(db_read(db, f, 0, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	put(f, 0, "0123456789", 10);
	ck_assert_int_eq(db_read(db, f, 10, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	ck_assert_int_eq(db_read(db, f, 11, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	ck_assert_int_eq(db_read(db, f, 1 << 30, 1, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_read(db, f, 7, sizeof(buf), buf, DB_ATIME_NOATIME),
			 3);
	ck_assert_mem_eq(buf, "789", 3);
	ck_assert_int_eq(db_read(db, f, 0, 0, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_read(db, d, 0, sizeof(buf), buf, DB_ATIME_NOATIME),
			 -EISDIR);
	ck_assert_int_lt(db_read(db, 999999, 0, 1, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_write(db, d, 0, "x", 1, 0, NULL), -EISDIR);
	ck_assert_int_eq(db_write(db, 999999, 0, "x", 1, 0, NULL), -ENOENT);
}
END_TEST

START_TEST(test_holes)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;

	put(f, 0, "a", 1);
	put(f, 5 * (off_t) bs + 1, "b", 1);
	st = attr(f);
	ck_assert_int_eq(st.st_size, 5 * (off_t) bs + 2);
	ck_assert_int_le(st.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, 0, "a", 1);
	assert_zero(f, 1, 5 * bs);
	assert_bytes(f, 5 * (off_t) bs, "\0b", 2);
	assert_zero(f, 2 * (off_t) bs, bs);
}
END_TEST

/*
 * An inode number is not handed out twice in one mount, even after the
 * inode was deleted: the kernel may still hold pages cached under it.
 */
START_TEST(test_ino_not_reused)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), victim, b;
	int gone;

	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "a", 0, &victim, &gone), 0);
	ck_assert_int_eq(gone, 1);
	ck_assert_int_eq(db_forget(db, a), 0);
	b = mkfile(DB_ROOT_INO, "b");
	ck_assert_uint_gt(b, a);
}
END_TEST

/*
 * Offsets near the largest file size (2^63 - 1): rounding a size up to
 * whole blocks must not overflow, or truncate and punch delete the whole
 * file, fallocate never ends and reads find nothing.
 */
START_TEST(test_near_max_size)
{
	const off_t max = INT64_MAX;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;
	char *buf;

	put(f, 0, "important", 9);
	memset(&st, 0, sizeof(st));
	st.st_size = max;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	st.st_size = max - 1;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	assert_bytes(f, 0, "important", 9);

	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     max - 200, 10, 0, NULL),
		0);
	assert_bytes(f, 0, "important", 9);

	put(f, max - 100, "XYZ", 3);
	buf = get(f, max - 100, 3);
	ck_assert_mem_eq(buf, "XYZ", 3);
	free(buf);
	ck_assert_int_eq(db_lseek(db, f, max - 100, SEEK_DATA), max - 100);
	ck_assert_int_ge(db_lseek(db, f, max - 100, SEEK_HOLE), max - 97);
	ck_assert_int_le(db_lseek(db, f, max - 100, SEEK_HOLE), max - 1);

	/* allocating the last bytes ends, and stores one short block */
	st.st_size = max;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	ck_assert_int_eq(db_fallocate(db, f, 0, max - 11, 10, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), max);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT min(length(bytes)) >= 0 AND "
				 "(SELECT stored FROM inode WHERE ino = ?1) = "
				 "(SELECT sum(length(bytes)) FROM data "
				 "WHERE ino = ?1) FROM data WHERE ino = ?1",
				 f),
			 1);
	assert_bytes(f, 0, "important", 9);
}
END_TEST

START_TEST(test_sparse_huge)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	off_t at4g = 4 * GIB + 7;
	struct stat st;
	char *buf;

	put(f, at4g, "four", 4);
	st = attr(f);
	ck_assert_int_eq(st.st_size, at4g + 4);
	ck_assert_int_le(st.st_blocks * 512, (blkcnt_t) bs);
	assert_bytes(f, at4g, "four", 4);
	assert_zero(f, at4g - 100, 100);
	assert_zero(f, 0, 100);

	put(f, TIB, "tera", 4);
	st = attr(f);
	ck_assert_int_eq(st.st_size, TIB + 4);
	ck_assert_int_le(st.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, TIB, "tera", 4);
	assert_bytes(f, at4g, "four", 4);
	buf = get(f, TIB - 2, 6);
	ck_assert_mem_eq(buf, "\0\0tera", 6);
	free(buf);
	ck_assert_int_eq(
		db_read(db, f, TIB + 4, 1, (char[1]){0}, DB_ATIME_NOATIME), 0);
	/* and it stays small on disk once committed */
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 2);
	ck_assert_int_eq(
		sql_int("SELECT max(block) FROM data WHERE ino = ?1", f),
		TIB / bs);
}
END_TEST

START_TEST(test_write_limits)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");

	ck_assert_int_eq(db_write(db, f, -1, "x", 1, 0, NULL), -EINVAL);
	ck_assert_int_eq(db_write(db, f, INT64_MAX, "x", 1, 0, NULL), -EFBIG);
	ck_assert_int_eq(size_of(f), 0);
	/* writing nothing grows nothing, as pwrite(2) of 0 bytes */
	ck_assert_int_eq(db_write(db, f, 5, "", 0, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), 0);
}
END_TEST

START_TEST(test_truncate_shrink_grow)
{
	unsigned bs = db_block_size(db);
	size_t len = 3 * bs;
	char *data = malloc(len);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out;

	ck_assert_ptr_nonnull(data);
	fill(data, len, 3);
	put(f, 0, data, len);

	memset(&in, 0, sizeof(in));
	in.st_size = bs + 100;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, bs + 100);
	ck_assert_int_le(out.st_blocks * 512, 2 * (blkcnt_t) bs);
	ck_assert_int_ge(out.st_blocks * 512, (blkcnt_t) bs + 100);
	in.st_size = (off_t) len;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, (off_t) len);
	ck_assert_int_le(out.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, 0, data, bs + 100);
	assert_zero(f, bs + 100, len - bs - 100);

	/* a write past the cut inside the cut block must not revive data */
	in.st_size = 10;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	put(f, 50, "w", 1);
	ck_assert_int_eq(size_of(f), 51);
	assert_bytes(f, 0, data, 10);
	assert_zero(f, 10, 40);
	assert_bytes(f, 50, "w", 1);

	/* shrink to a block boundary, then grow by writing far out */
	put(f, 0, data, len);
	in.st_size = bs;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	put(f, 3 * (off_t) bs, "e", 1);
	assert_bytes(f, 0, data, bs);
	assert_zero(f, bs, 2 * bs);
	assert_bytes(f, 3 * (off_t) bs, "e", 1);

	in.st_size = 0;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, 0);
	ck_assert_int_eq(out.st_blocks, 0);
	in.st_size = 5;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	assert_zero(f, 0, 5);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 0);
	free(data);
}
END_TEST

START_TEST(test_st_blocks)
{
	unsigned bs = db_block_size(db);
	char *data = malloc(4 * bs);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out;
	blkcnt_t full;

	ck_assert_ptr_nonnull(data);
	fill(data, 4 * bs, 4);
	ck_assert_int_eq(attr(f).st_blocks, 0);
	put(f, 0, data, 4 * bs);
	full = attr(f).st_blocks;
	ck_assert_int_eq(full * 512, 4 * (blkcnt_t) bs);
	put(f, 0, data, 4 * bs); /* overwriting allocates nothing */
	ck_assert_int_eq(attr(f).st_blocks, full);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     bs, 2 * (off_t) bs, 0, NULL),
		0);
	ck_assert_int_eq(attr(f).st_blocks * 512, 2 * (blkcnt_t) bs);
	memset(&in, 0, sizeof(in));
	in.st_size = bs;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_blocks * 512, (blkcnt_t) bs);
	ck_assert_int_eq(attr(f).st_blocks, out.st_blocks);
	in.st_size = 0;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_blocks, 0);
	/* the stored count agrees with the rows once committed */
	put(f, 3, data, bs + 5);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(attr(f).st_blocks * 512,
			 (sql_int("SELECT total(length(bytes)) FROM data "
				  "WHERE ino = ?1",
				  f) +
			  511) / 512 *
				 512);
	free(data);
}
END_TEST

START_TEST(test_fallocate)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;

	/* mode 0 grows the file; the new range reads as zeros */
	ck_assert_int_eq(
		db_fallocate(db, f, 0, 0, 2 * (off_t) bs + 10, 0, NULL), 0);
	st = attr(f);
	ck_assert_int_eq(st.st_size, 2 * (off_t) bs + 10);
	ck_assert_int_eq(st.st_blocks, 0); /* nothing stored until written */
	assert_zero(f, 0, (size_t) st.st_size);
	put(f, 0, "hello", 5);
	ck_assert_int_eq(db_fallocate(db, f, 0, 1, 3, 0, NULL), 0);
	assert_bytes(f, 0, "hello", 5);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);

	/* KEEP_SIZE past the end keeps the size */
	ck_assert_int_eq(db_fallocate(db, f, DB_FALLOC_KEEP_SIZE, 0,
				      10 * (off_t) bs, 0, NULL),
			 0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	assert_bytes(f, 0, "hello", 5);

	/* mode 0 inside the file changes no byte and no size */
	ck_assert_int_eq(db_fallocate(db, f, 0, bs, 5, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);

	/* ZERO_RANGE: zeros within the size, the size kept or grown */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_ZERO_RANGE, 1, 3, 0, NULL), 0);
	assert_bytes(f, 0, "h\0\0\0o", 5);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_ZERO_RANGE | DB_FALLOC_KEEP_SIZE,
			     2 * (off_t) bs + 5, bs, 0, NULL),
		0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	ck_assert_int_eq(db_fallocate(db, f,
				      DB_FALLOC_ZERO_RANGE |
					      DB_FALLOC_PUNCH_HOLE |
					      DB_FALLOC_KEEP_SIZE,
				      0, 10, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(db_fallocate(db, f, DB_FALLOC_ZERO_RANGE,
				      2 * (off_t) bs + 5, 10, 0, NULL),
			 0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 15);
	memset(&st, 0, sizeof(st));
	st.st_size = 2 * (off_t) bs + 10;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	put(f, 0, "hello", 5);

	/* unsupported modes */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE, 0, 10, 0, NULL),
		-EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x08, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x20, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x40, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0, -1, 10, 0, NULL), -EINVAL);
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	ck_assert_int_eq(db_fallocate(db, ino_of(DB_ROOT_INO, "f"), 0,
				      INT64_MAX, 1, 0, NULL),
			 -EFBIG);
	/* more than the disk holds */
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, (off_t) 1 << 50, 0, NULL),
			 -ENOSPC);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
}
END_TEST

START_TEST(test_punch_hole)
{
	unsigned bs = db_block_size(db);
	size_t len = 4 * bs;
	char *data = malloc(len), *want = malloc(len);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	const int punch = DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE;
	blkcnt_t before;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, 5);
	put(f, 0, data, len);
	memcpy(want, data, len);
	before = attr(f).st_blocks;

	/* partial blocks at both ends and a whole one between */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, bs / 2, 2 * (off_t) bs, 0, NULL), 0);
	memset(want + bs / 2, 0, 2 * bs);
	ck_assert_int_eq(size_of(f), (off_t) len);
	assert_bytes(f, 0, want, len);
	ck_assert_int_lt(attr(f).st_blocks, before);

	/* within one block */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 3 * (off_t) bs + 10, 20, 0, NULL),
		0);
	memset(want + 3 * bs + 10, 0, 20);
	assert_bytes(f, 0, want, len);

	/* over the end: the size stays */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 4 * (off_t) bs - 3, 100, 0, NULL),
		0);
	memset(want + len - 3, 0, 3);
	ck_assert_int_eq(size_of(f), (off_t) len);
	assert_bytes(f, 0, want, len);

	/* past the end: nothing */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 8 * (off_t) bs, 100, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), (off_t) len);

	/* the whole file */
	ck_assert_int_eq(db_fallocate(db, f, punch, 0, (off_t) len, 0, NULL),
			 0);
	ck_assert_int_eq(size_of(f), (off_t) len);
	ck_assert_int_eq(attr(f).st_blocks, 0);
	assert_zero(f, 0, len);
	free(data);
	free(want);
}
END_TEST

START_TEST(test_lseek)
{
	unsigned bs = db_block_size(db);
	off_t b = bs;
	char *data = malloc(bs);
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	struct stat in, out;

	ck_assert_ptr_nonnull(data);
	fill(data, bs, 6);
	put(f, 0, data, bs);
	put(f, 2 * b, data, bs);
	/* data [0, b), hole [b, 2b), data [2b, 3b) */
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_DATA), 0);
	ck_assert_int_eq(db_lseek(db, f, 5, SEEK_DATA), 5);
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b - 1, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b + 7, SEEK_HOLE), b + 7);
	ck_assert_int_eq(db_lseek(db, f, b, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, b + 7, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, 2 * b, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, 2 * b, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b - 1, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b - 1, SEEK_DATA), 3 * b - 1);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 100 * b, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, -1, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_SET), -EINVAL);

	/* a hole at the end, made by truncate */
	memset(&in, 0, sizeof(in));
	in.st_size = 5 * b;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 2 * b + 1, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 5 * b - 1, SEEK_HOLE), 5 * b - 1);
	ck_assert_int_eq(db_lseek(db, f, 5 * b, SEEK_HOLE), -ENXIO);

	/* an empty file has neither */
	ck_assert_int_eq(db_lseek(db, mkfile(DB_ROOT_INO, "e"), 0, SEEK_DATA),
			 -ENXIO);
	ck_assert_int_eq(db_lseek(db, ino_of(DB_ROOT_INO, "e"), 0, SEEK_HOLE),
			 -ENXIO);
	ck_assert_int_lt(db_lseek(db, d, 0, SEEK_DATA), 0);
	free(data);
}
END_TEST

START_TEST(test_copy_range)
{
	unsigned bs = db_block_size(db);
	size_t len = 3 * bs + 17;
	char *data = malloc(len), *want = calloc(1, 8 * bs);
	ino_t src = mkfile(DB_ROOT_INO, "src"),
	      dst = mkfile(DB_ROOT_INO, "dst");
	ino_t d = mkdir_in(DB_ROOT_INO, "d");

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, 7);
	put(src, 0, data, len);

	/* across files, unaligned on both sides */
	put(dst, 0, "dddddddddd", 10);
	memcpy(want, "dddddddddd", 10);
	ck_assert_int_eq(db_copy_range(db, src, 5, dst, 3, 2 * bs, 0, NULL),
			 2 * bs);
	memcpy(want + 3, data + 5, 2 * bs);
	ck_assert_int_eq(size_of(dst), 3 + 2 * (off_t) bs);
	assert_bytes(dst, 0, want, 3 + 2 * bs);
	assert_bytes(src, 0, data, len);

	/* stops at the end of the source */
	ck_assert_int_eq(db_copy_range(db, src, (off_t) len - 10, dst,
				       5 * (off_t) bs, 1000, 0, NULL),
			 10);
	ck_assert_int_eq(size_of(dst), 5 * (off_t) bs + 10);
	assert_bytes(dst, 5 * (off_t) bs, data + len - 10, 10);
	assert_zero(dst, 3 + 2 * (off_t) bs, 3 * bs - 3);
	ck_assert_int_eq(
		db_copy_range(db, src, (off_t) len, dst, 0, 10, 0, NULL), 0);
	ck_assert_int_eq(
		db_copy_range(db, src, 10 * (off_t) bs, dst, 0, 10, 0, NULL),
		0);
	ck_assert_int_eq(size_of(dst), 5 * (off_t) bs + 10);
	assert_bytes(dst, 0, want, 3 + 2 * bs);

	/* within one file, ranges apart */
	ck_assert_int_eq(db_copy_range(db, src, 1, src, 5 * (off_t) bs, bs + 10,
				       0, NULL),
			 bs + 10);
	ck_assert_int_eq(size_of(src), 6 * (off_t) bs + 10);
	assert_bytes(src, 0, data, len);
	assert_zero(src, (off_t) len, 5 * bs - len);
	assert_bytes(src, 5 * (off_t) bs, data + 1, bs + 10);

	ck_assert_int_eq(db_copy_range(db, src, 0, d, 0, 10, 0, NULL), -EISDIR);
	ck_assert_int_eq(db_copy_range(db, d, 0, dst, 0, 10, 0, NULL), -EISDIR);
	free(data);
	free(want);
}
END_TEST

/* Adds the cases of the "data" test case, in their order. */
void add_data_cases(TCase *tc)
{
	tcase_add_test(tc, test_write_read_blocks);
	tcase_add_test(tc, test_write_read_block_sizes);
	tcase_add_test(tc, test_write_extends_short_block);
	tcase_add_test(tc, test_read_eof);
	tcase_add_test(tc, test_holes);
	tcase_add_test(tc, test_sparse_huge);
	tcase_add_test(tc, test_near_max_size);
	tcase_add_test(tc, test_ino_not_reused);
	tcase_add_test(tc, test_write_limits);
	tcase_add_test(tc, test_truncate_shrink_grow);
	tcase_add_test(tc, test_st_blocks);
	tcase_add_test(tc, test_fallocate);
	tcase_add_test(tc, test_punch_hole);
	tcase_add_test(tc, test_lseek);
	tcase_add_test(tc, test_copy_range);
}
