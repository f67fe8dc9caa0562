"""search.py - the search timings of bench.py --search

A tree of 1 000 000 files is written as rows straight into a fresh
database (much faster than mkfs.sqlitefs -d over a real tree), and the
same tree is made on the disk's own filesystem (ext4 here) beside it.
Then, with the database mounted:

  * find(1) on the mount and on the ext4 tree, cold (after dropping the
    caches) and warm, for each kind of query;
  * the queries sqlitefs-find answers, each 200 times with different
    values: p50 and p99.  With --find-tool, the program run once per
    query, and one process of it answering them all (--queries: its
    "cold" figures count only the pages it had not mapped yet); and a
    stand-in that runs the SQL through python3's sqlite3 module, paths
    included, a new connection per query.

The tree: 10 directories of 100 directories of 1 000 files each.  In
every leaf directory file k (0-999) is named n<k>.<ext> for k < 500, the
same 500 names in each (an exact name then matches 1 000 files), and
u<file number>.<ext> from 500 on (one match); ext is one of ten by k % 10
(so '*.c' matches 100 000).  Sizes are uniform in [0, 1 GiB) and stored
as holes (no data rows; sparse files on ext4); mtimes uniform over a
year; one file in ten has user.tag = tag<0-99> (1 000 files per value).
"""
import json
import os
import random
import sqlite3
import statistics
import subprocess
import time

NTOP, NMID, NFILES = 10, 100, 1000
EXTS = ["c", "h", "txt", "o", "py", "md", "json", "html", "rs", "go"]
SIZE_MAX = 1 << 30
YEAR_NS = 365 * 86400 * 10**9
BASE_NS = 1735689600 * 10**9  # 2025-01-01
NTAGS = 100
TAG = "user.tag"
FIRST_FILE_INO = 2 + NTOP + NTOP * NMID
SEED = 12


def files(nfiles_total):
    """(ino, parent ino, name, size, mtime ns, tag or None) of every file,
    in inode order; parent inodes: top dirs 2.., leaf dirs 2 + NTOP.."""
    rnd = random.Random(SEED)
    for j in range(nfiles_total):
        leaf, k = divmod(j, NFILES)
        ext = EXTS[k % len(EXTS)]
        name = (f"n{k}.{ext}" if k < NFILES // 2 else f"u{j}.{ext}")
        tag = f"tag{(j // 10) % NTAGS}" if j % 10 == 0 else None
        yield (FIRST_FILE_INO + j, 2 + NTOP + leaf, name,
               rnd.randrange(SIZE_MAX), BASE_NS + rnd.randrange(YEAR_NS), tag)


def dirs():
    """(ino, parent, name, number of subdirectories) of every directory
    but the root"""
    for t in range(NTOP):
        yield 2 + t, 1, f"t{t}", NMID
    for t in range(NTOP):
        for m in range(NMID):
            yield 2 + NTOP + t * NMID + m, 2 + t, f"d{m:03d}", 0


def make_db(db, nleaves):
    """Fills the fresh (mkfs'd, unmounted) database db: nleaves leaf
    directories of NFILES files"""
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    now = time.time_ns()
    d = [x for x in dirs() if x[0] < 2 + NTOP + nleaves]
    ntop = len([x for x in d if x[1] == 1])
    con.execute("BEGIN")
    con.execute("UPDATE inode SET nlink = ? WHERE ino = 1", (2 + ntop,))
    con.executemany(
        "INSERT INTO inode (ino, mode, nlink, uid, gid, atime, mtime, "
        "ctime, crtime) VALUES (?1, 16877, ?2, 0, 0, ?3, ?3, ?3, ?3)",
        ((ino, 2 + sub, now) for ino, _, _, sub in d))
    con.executemany("INSERT INTO dentry (parent, name, ino) VALUES (?, ?, ?)",
                    ((parent, name, ino) for ino, parent, name, _ in d))
    # the number of subdirectories of a top directory that exist
    con.execute("UPDATE inode SET nlink = 2 + (SELECT count(*) FROM dentry "
                "WHERE parent = inode.ino) WHERE ino BETWEEN 2 AND ?",
                (1 + ntop,))
    n = nleaves * NFILES
    con.executemany(
        "INSERT INTO inode (ino, mode, nlink, uid, gid, size, atime, mtime, "
        "ctime, crtime) VALUES (?, 33188, 1, 0, 0, ?, ?, ?, ?, ?)",
        ((ino, size, mt, mt, mt, mt)
         for ino, _, _, size, mt, _ in files(n)))
    con.executemany("INSERT INTO dentry (parent, name, ino) VALUES (?, ?, ?)",
                    ((parent, name, ino)
                     for ino, parent, name, _, _, _ in files(n)))
    con.executemany("INSERT INTO xattr (ino, name, value) VALUES (?, ?, ?)",
                    ((ino, TAG, tag.encode())
                     for ino, _, _, _, _, tag in files(n) if tag))
    # what db_set("index_add", "xattr:user.tag") and "size" make (mkfs
    # makes the name index only)
    con.execute(f'CREATE INDEX "search_xattr:{TAG}" ON xattr (value) '
                f"WHERE name = '{TAG}'")
    con.execute('CREATE INDEX "search_size" ON inode (size)')
    con.execute("COMMIT")
    con.close()


def make_tree(root, nleaves):
    """The same tree under root, on the disk's filesystem"""
    paths = {1: root}
    os.makedirs(root)
    for ino, parent, name, _ in dirs():
        if ino < 2 + NTOP + nleaves:
            paths[ino] = os.path.join(paths[parent], name)
            os.mkdir(paths[ino])
    for ino, parent, name, size, mt, tag in files(nleaves * NFILES):
        p = os.path.join(paths[parent], name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.ftruncate(fd, size)
        if tag:
            os.setxattr(fd, TAG, tag.encode())
        os.utime(fd, ns=(mt, mt))
        os.close(fd)


# --- the queries -------------------------------------------------------------


def queries(nleaves, count):
    """count queries of each kind: (kind, value) with the value find and
    the SQL take; a fixed sample so that every run asks the same"""
    rnd = random.Random(SEED + 1)
    n = nleaves * NFILES
    out = []
    for _ in range(count):
        k = rnd.randrange(NFILES)
        j = rnd.randrange(n // NFILES) * NFILES + k
        ext = EXTS[k % len(EXTS)]
        out.append(("name", f"n{k}.{ext}" if k < NFILES // 2
                    else f"u{j}.{ext}"))
    for _ in range(count):
        out.append(("xattr", f"tag{rnd.randrange(NTAGS)}"))
    width = SIZE_MAX // n * 1000  # about 1 000 files
    for _ in range(count):
        lo = rnd.randrange(SIZE_MAX - width)
        out.append(("size", (lo, lo + width - 1)))
    return out


class StandIn:
    """The SQL sqlitefs-find is expected to run, through python3's sqlite3
    module: the matching inodes through the search indexes, then their
    paths, walking up dentry with the directories' paths cached for the
    query.  A new read-only connection per query."""

    def __init__(self, db):
        self.db = db

    def paths(self, con, rows):
        cache = {1: ""}

        def dir_path(d):
            if d not in cache:
                parent, name = con.execute(
                    "SELECT parent, name FROM dentry WHERE ino = ? "
                    "ORDER BY id LIMIT 1", (d,)).fetchone()
                cache[d] = dir_path(parent) + "/" + name
            return cache[d]

        return [dir_path(parent) + "/" + name for parent, name in rows]

    def run(self, kind, value):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        if kind == "name":
            rows = con.execute("SELECT parent, name FROM dentry "
                               "WHERE name = ?", (value,)).fetchall()
        elif kind == "glob":
            rows = con.execute("SELECT parent, name FROM dentry "
                               "WHERE name GLOB ?", (value,)).fetchall()
        elif kind == "xattr":
            # the attribute's name a literal, so that the partial index
            # search_xattr:NAME can serve (a parameter cannot)
            rows = con.execute(
                "SELECT d.parent, d.name FROM xattr x JOIN dentry d "
                f"ON d.ino = x.ino WHERE x.name = '{TAG}' AND x.value = ?",
                (value.encode(),)).fetchall()
        elif kind == "size":
            rows = con.execute(
                "SELECT d.parent, d.name FROM inode i JOIN dentry d "
                "ON d.ino = i.ino WHERE i.size BETWEEN ? AND ? "
                "AND (i.mode & 61440) = 32768", value).fetchall()
        else:
            raise ValueError(kind)
        out = self.paths(con, rows)
        con.close()
        return out


class Tool:
    """sqlitefs-find, run as a program: its argv for each kind of query
    (find(1)'s syntax).  Adjust here if its command line differs."""

    def __init__(self, path, target):
        self.path, self.target = path, target

    def argv(self, kind, value):
        if kind in ("name", "glob"):
            return [self.path, self.target, "-name", value]
        if kind == "xattr":
            return [self.path, self.target, "-xattr", f"{TAG}={value}"]
        if kind == "size":
            return [self.path, self.target, "-type", "f",
                    "-size", f"+{value[0] - 1}c", "-size", f"-{value[1] + 1}c"]
        raise ValueError(kind)

    def run(self, kind, value):
        out = subprocess.run(self.argv(kind, value), check=True,
                             stdout=subprocess.PIPE).stdout
        return out.splitlines()


class Session(Tool):
    """sqlitefs-find --queries: one process answering query after query
    (each a JSON array of words on its standard input, its answer ended
    by an empty line)"""

    def __init__(self, path, target):
        super().__init__(path, target)
        self.p = None

    def run(self, kind, value):
        if self.p is None:
            self.p = subprocess.Popen([self.path, "--queries", self.target],
                                      stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        words = self.argv(kind, value)[2:]
        self.p.stdin.write(json.dumps(words).encode() + b"\n")
        self.p.stdin.flush()
        out = []
        for line in self.p.stdout:
            if line == b"\n":
                return out
            out.append(line)
        raise RuntimeError("sqlitefs-find --queries ended")

    def close(self):
        if self.p is not None:
            self.p.stdin.close()
            if self.p.wait():
                raise RuntimeError("sqlitefs-find --queries failed")
            self.p = None


def find_argv(root, kind, value):
    """find(1) for the same query (None: find has no such test)"""
    if kind in ("name", "glob"):
        return ["find", root, "-name", value]
    if kind == "size":
        return ["find", root, "-type", "f", "-size", f"+{value[0] - 1}c",
                "-size", f"-{value[1] + 1}c"]
    return None


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def timed_find(argv):
    t0 = time.monotonic()
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE).stdout
    return time.monotonic() - t0, out.count(b"\n")


def run_search(bench, log, drop_caches):
    """bench.py --search: bench is the Bench (mkfs, mounts, options)"""
    a = bench.a
    nleaves = a.search_files // NFILES
    n = nleaves * NFILES
    db = os.path.join(bench.work, f"search{n}.db")
    tree = os.path.join(bench.work, f"search{n}_tree")
    if not os.path.exists(db):
        tmp = db + ".tmp"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(tmp + suffix):
                os.unlink(tmp + suffix)
        subprocess.run([a.mkfs] + a.mkfs_args.split() + [tmp], check=True,
                       stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        make_db(tmp, nleaves)
        log(f"search: {n} files written into the database in "
            f"{time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        subprocess.run([a.fsck, "-n", tmp], check=True)
        log(f"search: fsck.sqlitefs -n clean in {time.monotonic() - t0:.1f} s")
        os.rename(tmp, db)
    if not os.path.exists(tree + ".done"):
        subprocess.run(["rm", "-rf", tree], check=True)
        t0 = time.monotonic()
        make_tree(tree, nleaves)
        open(tree + ".done", "w").close()
        log(f"search: the same tree made on the disk in "
            f"{time.monotonic() - t0:.1f} s")
    if a.search_load:
        loaded = os.path.join(bench.work, "search_loaded.db")
        t0 = time.monotonic()
        subprocess.run([a.mkfs_bin, "-f", "-d", tree, loaded], check=True,
                       stdout=subprocess.DEVNULL)
        log(f"search: mkfs.sqlitefs -d of the tree on the disk took "
            f"{time.monotonic() - t0:.1f} s")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(loaded + suffix):
                os.unlink(loaded + suffix)
    qs = queries(nleaves, a.search_queries)
    glob = ("glob", "*.c")
    rows = []

    def finds(label, root):
        # cold: the first find after dropping every cache; then warm
        res = {}
        for kind, value in (("name", qs[0][1]), glob,
                            [q for q in qs if q[0] == "size"][0]):
            argv = find_argv(root, kind, value)
            drop_caches()
            cold, hits = timed_find(argv)
            warm = min(timed_find(argv)[0] for _ in range(2))
            res[kind] = (cold, warm, hits)
            if hits != found[(kind, value)]:
                raise RuntimeError(f"find on {label} found {hits} for "
                                   f"{kind} {value}, the SQL "
                                   f"{found[(kind, value)]}")
            log(f"  find on {label} {kind}: cold {cold:.2f} s warm "
                f"{warm:.2f} s, {hits} found")
        return res

    with bench.mount_db(db, "search") as m:
        engines = []
        if a.find_tool:
            engines.append(("sqlitefs-find", Tool(a.find_tool, m.mnt)))
            engines.append(("sqlitefs-find --queries",
                            Session(a.find_tool, m.mnt)))
        engines.append(("SQL stand-in", StandIn(db)))
        found = {}
        for label, eng in engines:
            res = {}
            for kind in ("name", "xattr", "size"):
                # cold: the first query after dropping every cache
                value = [q for q in qs if q[0] == kind][0][1]
                drop_caches()
                t0 = time.monotonic()
                eng.run(kind, value)
                res[kind + "_cold"] = time.monotonic() - t0
            for kind, value in qs:
                t0 = time.monotonic()
                hits = len(eng.run(kind, value))
                res.setdefault(kind, []).append(
                    (time.monotonic() - t0, hits))
                found.setdefault((kind, value), hits)
            t = []
            for _ in range(3):
                t0 = time.monotonic()
                hits = len(eng.run(*glob))
                t.append(time.monotonic() - t0)
            res["glob"] = [(x, hits) for x in t]
            found.setdefault(glob, hits)
            rows.append((label, res))
            if hasattr(eng, "close"):
                eng.close()
        find_mnt = finds("the mount", m.mnt) if not a.search_no_find else {}
    find_ext4 = finds("ext4", tree) if not a.search_no_find else {}

    print(f"\nsearch: {n} files in {nleaves} leaf directories "
          f"(bench/search.py), the database mounted")
    print(f"{'query':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'cold ms':>9}{'found':>14}")
    names = {"name": "exact name (-name n1.h)",
             "xattr": f"xattr equality ({TAG}=tagN)",
             "size": "size range (-size, ~1 000 found)",
             "glob": "name glob (-name '*.c')"}
    for label, res in rows:
        print(f"{label} ({a.search_queries} queries of each kind, "
              f"the glob 3 times):")
        for kind in ("name", "xattr", "size", "glob"):
            ts = [x[0] * 1000 for x in res[kind]]
            hits = [x[1] for x in res[kind]]
            cold = (f"{res[kind + '_cold'] * 1000:>9.1f}"
                    if kind + "_cold" in res else f"{'':>9}")
            print(f"  {names[kind]:<32}{pct(ts, 50):>9.2f}{pct(ts, 99):>9.2f}"
                  f"{max(ts):>9.2f}{cold}{min(hits):>7}-{max(hits):<6}")
    print("targets: exact name, xattr, size range p50 <= 10 ms, "
          "p99 <= 50 ms; glob <= 1000 ms (cold: the first query after "
          "dropping the caches)")
    if find_mnt:
        print(f"find(1), seconds: cold (after dropping the caches) / warm")
        print(f"{'query':<34}{'on the mount':>18}{'on ext4':>18}{'found':>9}")
        for kind in ("name", "glob", "size"):
            cm, wm, hits = find_mnt[kind]
            ce, we, _ = find_ext4[kind]
            print(f"  {names[kind]:<32}{cm:>9.2f} / {wm:<6.2f}"
                  f"{ce:>9.2f} / {we:<6.2f}{hits:>9}")
        print("  (find has no test of extended attributes)")
