/*
 * faultvfs.c - a SQLite VFS for tests: I/O errors and simulated power loss
 *
 * A shared library the tests put in the daemon with LD_PRELOAD: its
 * constructor registers, as SQLite's default, a VFS that wraps the real
 * default one and passes every call through, except as FAULTVFS says:
 *
 *  FAULTVFS=ioerr      after SIGUSR1, writes and syncs of the database and
 *                      its WAL fail with SQLITE_IOERR_WRITE / _FSYNC (and
 *                      reads with SQLITE_IOERR_READ if FAULTVFS_READ=1),
 *                      until SIGUSR2;
 *  FAULTVFS=powerloss  every write to the database or WAL not yet followed
 *                      by a sync of that file is remembered with the bytes
 *                      it replaced; after SIGUSR1, the next write, sync or
 *                      truncate puts those bytes back (all of them, except
 *                      that the last write may be torn: a random number of
 *                      its leading 512-byte sectors stays), then the
 *                      process exits at once with status 99, as if the
 *                      power had failed: only what was synced is on disk.
 *
 * The daemon itself knows nothing of this; without FAULTVFS the library
 * does nothing.  Signals only set flags; the work happens in VFS calls,
 * which the daemon serialises under its database lock.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

enum mode { MODE_OFF, MODE_IOERR, MODE_POWERLOSS };

/* What a write or truncate replaced, to be put back at a power loss. */
struct undo {
	struct undo *prev;
	sqlite3_int64 off;  /* where the old bytes go */
	int len;	    /* how many */
	sqlite3_int64 size; /* the file's size before */
	char data[];
};

struct ffile {
	sqlite3_file base;
	struct ffile *next; /* in the list of open files */
	int watched;	    /* the database or its WAL */
	struct undo *undo;  /* latest first */
	sqlite3_file *real; /* follows this struct in the same allocation */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static sqlite3_io_methods fault_methods;
static enum mode mode;
static int fail_reads;
static volatile sig_atomic_t armed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ffile *files;

static void on_usr1(int sig)
{
	(void) sig;
	armed = 1;
}

static void on_usr2(int sig)
{
	(void) sig;
	armed = 0;
}

static void undo_free(struct ffile *f)
{
	while (f->undo) {
		struct undo *u = f->undo;

		f->undo = u->prev;
		free(u);
	}
}

/* Puts back what was not synced, maybe tearing the last write; exits. */
static void power_loss(void)
{
	struct ffile *f;
	unsigned seed = (unsigned) getpid();

	pthread_mutex_lock(&lock);
	for (f = files; f; f = f->next) {
		struct undo *u;
		int first = 1;

		for (u = f->undo; u; u = u->prev) {
			int keep = 0;

			if (first && u->len > 512 && rand_r(&seed) % 2)
				keep = 512 * (rand_r(&seed) % (u->len / 512));
			first = 0;
			f->real->pMethods->xWrite(f->real, u->data + keep,
						  u->len - keep, u->off + keep);
			f->real->pMethods->xTruncate(f->real, u->size);
		}
	}
	_exit(99);
}

/* Whether the call on f must fail (ioerr) or the power goes (powerloss). */
static int fault(struct ffile *f)
{
	if (!f->watched || !armed)
		return 0;
	if (mode == MODE_POWERLOSS)
		power_loss();
	return mode == MODE_IOERR;
}

/* Remembers [off, off+len) of f before a write or truncate changes it. */
static int remember(struct ffile *f, sqlite3_int64 off, sqlite3_int64 len)
{
	sqlite3_int64 size = 0;
	struct undo *u;
	int rc;

	if (mode != MODE_POWERLOSS || !f->watched)
		return SQLITE_OK;
	rc = f->real->pMethods->xFileSize(f->real, &size);
	if (rc != SQLITE_OK)
		return rc;
	if (off >= size)
		len = 0; /* nothing there: the truncate puts it back */
	else if (off + len > size)
		len = size - off;
	u = malloc(sizeof(*u) + (size_t) len);
	if (!u)
		return SQLITE_NOMEM;
	u->off = off;
	u->len = (int) len;
	u->size = size;
	rc = len ? f->real->pMethods->xRead(f->real, u->data, (int) len, off)
		 : SQLITE_OK;
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
		free(u);
		return rc;
	}
	pthread_mutex_lock(&lock);
	u->prev = f->undo;
	f->undo = u;
	pthread_mutex_unlock(&lock);
	return SQLITE_OK;
}

static struct ffile *ff(sqlite3_file *p)
{
	return (struct ffile *) p;
}

static int f_close(sqlite3_file *p)
{
	struct ffile *f = ff(p), **pp;
	int rc = f->real->pMethods->xClose(f->real);

	pthread_mutex_lock(&lock);
	for (pp = &files; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	undo_free(f);
	pthread_mutex_unlock(&lock);
	return rc;
}

static int f_read(sqlite3_file *p, void *buf, int n, sqlite3_int64 off)
{
	struct ffile *f = ff(p);

	if (fail_reads && f->watched && armed && mode == MODE_IOERR)
		return SQLITE_IOERR_READ;
	return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int f_write(sqlite3_file *p, const void *buf, int n, sqlite3_int64 off)
{
	struct ffile *f = ff(p);
	int rc;

	if (fault(f))
		return SQLITE_IOERR_WRITE;
	rc = remember(f, off, n);
	return rc ? rc : f->real->pMethods->xWrite(f->real, buf, n, off);
}

static int f_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct ffile *f = ff(p);
	sqlite3_int64 old = 0;
	int rc;

	if (fault(f))
		return SQLITE_IOERR_TRUNCATE;
	rc = f->real->pMethods->xFileSize(f->real, &old);
	if (rc == SQLITE_OK && old > size)
		rc = remember(f, size, old - size);
	return rc ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int f_sync(sqlite3_file *p, int flags)
{
	struct ffile *f = ff(p);
	int rc;

	if (fault(f))
		return SQLITE_IOERR_FSYNC;
	rc = f->real->pMethods->xSync(f->real, flags);
	if (rc == SQLITE_OK) {
		pthread_mutex_lock(&lock);
		undo_free(f);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

static int f_size(sqlite3_file *p, sqlite3_int64 *size)
{
	return ff(p)->real->pMethods->xFileSize(ff(p)->real, size);
}

static int f_lock(sqlite3_file *p, int l)
{
	return ff(p)->real->pMethods->xLock(ff(p)->real, l);
}

static int f_unlock(sqlite3_file *p, int l)
{
	return ff(p)->real->pMethods->xUnlock(ff(p)->real, l);
}

static int f_reserved(sqlite3_file *p, int *out)
{
	return ff(p)->real->pMethods->xCheckReservedLock(ff(p)->real, out);
}

static int f_control(sqlite3_file *p, int op, void *arg)
{
	return ff(p)->real->pMethods->xFileControl(ff(p)->real, op, arg);
}

static int f_sector(sqlite3_file *p)
{
	return ff(p)->real->pMethods->xSectorSize(ff(p)->real);
}

static int f_device(sqlite3_file *p)
{
	return ff(p)->real->pMethods->xDeviceCharacteristics(ff(p)->real);
}

static int f_shm_map(sqlite3_file *p, int pg, int pgsz, int extend,
		     void volatile **out)
{
	return ff(p)->real->pMethods->xShmMap(ff(p)->real, pg, pgsz, extend,
					      out);
}

static int f_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
	return ff(p)->real->pMethods->xShmLock(ff(p)->real, off, n, flags);
}

static void f_shm_barrier(sqlite3_file *p)
{
	ff(p)->real->pMethods->xShmBarrier(ff(p)->real);
}

static int f_shm_unmap(sqlite3_file *p, int del)
{
	return ff(p)->real->pMethods->xShmUnmap(ff(p)->real, del);
}

static int f_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
	*out = NULL; /* no memory-mapped I/O: every write passes here */
	(void) p;
	(void) off;
	(void) n;
	return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	(void) p;
	(void) off;
	(void) ptr;
	return SQLITE_OK;
}

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p,
		  int flags, int *out)
{
	struct ffile *f = ff(p);
	int rc;

	(void) vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *) (f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		p->pMethods = NULL;
		return rc;
	}
	f->watched = !!(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL));
	p->pMethods = &fault_methods;
	pthread_mutex_lock(&lock);
	f->next = files;
	files = f;
	pthread_mutex_unlock(&lock);
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void) vfs;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void) vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void) vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int v_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void) vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int v_time(sqlite3_vfs *vfs, double *out)
{
	(void) vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void) vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

__attribute__((constructor)) static void faultvfs_init(void)
{
	const char *m = getenv("FAULTVFS");

	if (!m || !*m)
		return;
	mode = !strcmp(m, "powerloss") ? MODE_POWERLOSS
	       : !strcmp(m, "ioerr")   ? MODE_IOERR
				       : MODE_OFF;
	fail_reads = getenv("FAULTVFS_READ") != NULL;
	if (mode == MODE_OFF || sqlite3_initialize() != SQLITE_OK)
		return;
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return;
	fault_vfs = *real_vfs;
	fault_vfs.iVersion = 2;
	fault_vfs.szOsFile = (int) sizeof(struct ffile) + real_vfs->szOsFile;
	fault_vfs.zName = "faultvfs";
	fault_vfs.pNext = NULL;
	fault_vfs.xOpen = v_open;
	fault_vfs.xDelete = v_delete;
	fault_vfs.xAccess = v_access;
	fault_vfs.xFullPathname = v_full;
	fault_vfs.xDlOpen = NULL;
	fault_vfs.xDlError = NULL;
	fault_vfs.xDlSym = NULL;
	fault_vfs.xDlClose = NULL;
	fault_vfs.xRandomness = v_random;
	fault_vfs.xSleep = v_sleep;
	fault_vfs.xCurrentTime = v_time;
	fault_vfs.xGetLastError = v_error;
	fault_vfs.xCurrentTimeInt64 = v_time64;

	fault_methods.iVersion = 3;
	fault_methods.xClose = f_close;
	fault_methods.xRead = f_read;
	fault_methods.xWrite = f_write;
	fault_methods.xTruncate = f_truncate;
	fault_methods.xSync = f_sync;
	fault_methods.xFileSize = f_size;
	fault_methods.xLock = f_lock;
	fault_methods.xUnlock = f_unlock;
	fault_methods.xCheckReservedLock = f_reserved;
	fault_methods.xFileControl = f_control;
	fault_methods.xSectorSize = f_sector;
	fault_methods.xDeviceCharacteristics = f_device;
	fault_methods.xShmMap = f_shm_map;
	fault_methods.xShmLock = f_shm_lock;
	fault_methods.xShmBarrier = f_shm_barrier;
	fault_methods.xShmUnmap = f_shm_unmap;
	fault_methods.xFetch = f_fetch;
	fault_methods.xUnfetch = f_unfetch;

	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	sqlite3_vfs_register(&fault_vfs, 1);
}
