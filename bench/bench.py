#!/usr/bin/env python3
"""bench.py - sqlitefs side by side with libfuse's passthrough_ll.

Run through scripts/bench.sh, which installs fio, builds sqlitefs,
benchtool and passthrough_ll, then calls this with their paths.

Each round mounts a fresh sqlitefs database and a fresh passthrough_ll
over a directory on the same disk, and runs every workload on both, the
order alternating per round (A B, B A, ...).  It prints per workload the
median of each and the speed ratio sqlitefs / passthrough_ll (above 1:
sqlitefs is faster; for timed workloads that is the inverse of the ratio
of times).  --scale and --space run the scale and space checks of
sqlitefs alone.

--journal-overhead and --index-cost run sqlitefs against itself: the
change journal switched off, and each search index dropped, on the fresh
database before the mount.  --search times the search queries on a
generated tree of 1 000 000 files beside find(1) (bench/search.py).

Two groups are not in the default set (--only latency,real): latency
under load, a prober and a reader timed while another process writes
and fsyncs (the processes are bench/latency.py), and real-world work on
a copy of /usr/share/doc and a clone of this repository.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

MiB = 1 << 20


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def drop_caches(what=3):
    """3: the page cache too; 2: the kernel's dentries and inodes only"""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write(f"{what}\n")


def timed(cmd, **kw):
    t0 = time.monotonic()
    run(cmd, **kw)
    return time.monotonic() - t0


def tool_seconds(cmd):
    out = run(cmd, stdout=subprocess.PIPE, text=True).stdout
    vals = dict(line.split(None, 1) for line in out.splitlines())
    return float(vals["seconds"])


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def daemon_cpu(pid):
    """CPU seconds (user and system) process pid has used"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_written(pid):
    """Bytes process pid has passed to write(2) and its kin (/proc/PID/io
    wchar): the WAL, the checkpoints"""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def callgrind_step(m):
    """Under callgrind: the daemon's user-space instructions since the
    last call (callgrind_control dumps and zeroes the counts)"""
    before = {f for f in os.listdir(os.path.dirname(m.grind))}
    run(["callgrind_control", "-d", str(m.proc.pid)],
        stdout=subprocess.DEVNULL)
    for f in sorted(os.listdir(os.path.dirname(m.grind))):
        path = os.path.join(os.path.dirname(m.grind), f)
        if f not in before and path.startswith(m.grind):
            with open(path) as fh:
                for line in fh:
                    if line.startswith("summary:") or \
                            line.startswith("totals:"):
                        os.unlink(path)
                        return int(line.split()[1]) / 1e6
    raise RuntimeError("callgrind_control: no dump")


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Mount:
    """A filesystem under test, mounted in the foreground as a child."""

    def __init__(self, name, cmd, mnt):
        self.name, self.cmd, self.mnt = name, cmd, mnt
        self.proc = None

    def __enter__(self):
        os.makedirs(self.mnt, exist_ok=True)
        self.proc = subprocess.Popen(self.cmd)
        deadline = time.monotonic() + 60
        while not os.path.ismount(self.mnt):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: mount failed: {self.cmd}")
            time.sleep(0.02)
        return self

    def rss(self):
        return peak_rss_kib(self.proc.pid)

    def __exit__(self, *exc):
        for _ in range(100):
            if subprocess.run(["fusermount3", "-u", self.mnt],
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.1)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return False


class Bench:
    def __init__(self, args):
        self.a = args
        self.work = os.path.abspath(args.work)
        self.tool = args.benchtool
        os.makedirs(self.work, exist_ok=True)
        self.tar = os.path.join(self.work, "include.tar")
        if args.tar:
            self.tar = os.path.abspath(args.tar)
        if not os.path.exists(self.tar):
            run(["tar", "-cf", self.tar, "-C", "/usr", "include"])
        self.seq_mib = args.seq_mib
        self.callgrind = args.callgrind
        self.rand_mib = args.rand_mib
        self.notes = set()

    # --- the two filesystems ---------------------------------------------

    def sqlitefs(self, tag="sq", prep=None):
        """A fresh database; prep(db), if given, changes it before the
        mount (the daemon reads its settings at mount)"""
        db = os.path.join(self.work, tag + ".db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        run([self.a.mkfs] + self.a.mkfs_args.split() + [db],
            stdout=subprocess.DEVNULL)
        if prep:
            prep(db)
        return self.mount_db(db, tag)

    def mount_db(self, db, tag):
        """A mount of database db (not yet mounted: enter it)"""
        mnt = os.path.join(self.work, "mnt_" + tag)
        cmd = [self.a.sqlitefs, "-f"]
        if self.a.sqlitefs_opts:
            cmd += ["-o", self.a.sqlitefs_opts]
        grind = None
        if getattr(self, "callgrind", False):
            grind = os.path.join(self.work, tag + ".callgrind")
            for f in os.listdir(self.work):
                if f.startswith(tag + ".callgrind"):
                    os.unlink(os.path.join(self.work, f))
            cmd = ["valgrind", "-q", "--tool=callgrind",
                   "--callgrind-out-file=" + grind] + cmd
        m = Mount("sqlitefs", cmd + [db, mnt], mnt)
        m.db, m.grind = db, grind
        return m

    def passthrough(self):
        src = os.path.join(self.work, "pt_src")
        shutil.rmtree(src, ignore_errors=True)
        os.makedirs(src)
        mnt = os.path.join(self.work, "mnt_pt")
        cmd = [self.a.passthrough, "-f", "-o", "writeback", "-o",
               "cache=always", "-o", "source=" + src, mnt]
        m = Mount("passthrough_ll", cmd, mnt)
        m.src = src
        return m

    # --- workloads ----------------------------------------------------------

    def fio(self, mnt, name, rw, bs, mib, extra=()):
        cmd = ["fio", "--name=" + name, "--directory=" + mnt,
               "--filename=" + name, "--rw=" + rw, "--bs=" + bs,
               "--size=%dM" % mib, "--ioengine=psync", "--iodepth=1",
               "--output-format=json"] + list(extra)
        t0 = time.monotonic()
        out = run(cmd, stdout=subprocess.PIPE, text=True).stdout
        wall = time.monotonic() - t0
        job = json.loads(out[out.index("{"):])["jobs"][0]
        ios = job["read"]["total_ios"] + job["write"]["total_ios"]
        return wall, ios

    def workloads(self, m):
        """Runs every workload on mount m; returns {name: value}."""
        mnt, r = m.mnt, {}
        for group in ("seq", "rand", "small", "tar", "mmap", "latency",
                      "real"):
            if group in self.a.only.split(","):
                getattr(self, "run_" + group)(mnt, r)
        return r

    def run_seq(self, mnt, r):
        """sequential: 1 MiB writes then fsync, read back after a drop"""
        wall, _ = self.fio(mnt, "seq", "write", "1M", self.seq_mib,
                           ["--end_fsync=1"])
        r["seq_write"] = self.seq_mib / wall
        drop_caches()
        wall, _ = self.fio(mnt, "seq", "read", "1M", self.seq_mib)
        r["seq_read"] = self.seq_mib / wall
        os.unlink(os.path.join(mnt, "seq"))

    def run_rand(self, mnt, r):
        """random 4 KiB: lay the file out, then read and write at random"""
        self.fio(mnt, "rand", "write", "1M", self.rand_mib, ["--end_fsync=1"])
        drop_caches()
        wall, ios = self.fio(mnt, "rand", "randread", "4k", self.rand_mib,
                             ["--runtime=%d" % self.a.runtime,
                              "--time_based"])
        r["rand_read_4k"] = ios / wall
        wall, ios = self.fio(mnt, "rand", "randwrite", "4k", self.rand_mib,
                             ["--runtime=%d" % self.a.runtime,
                              "--time_based", "--end_fsync=1"])
        r["rand_write_4k"] = ios / wall
        os.unlink(os.path.join(mnt, "rand"))

    def run_small(self, mnt, r):
        """metadata: a tree of small files, walked with cold caches"""
        tool = self.tool
        small = os.path.join(mnt, "small")
        os.mkdir(small)
        nd, nf = self.a.dirs, self.a.files
        r["small_files_create"] = nd * nf / tool_seconds(
            [tool, "create", small, str(nd), str(nf), "4096"])
        drop_caches()
        r["stat_all"] = (nd * nf + nd + 1) / tool_seconds(
            [tool, "statall", small])
        drop_caches()
        r["ls_lR"] = timed(["ls", "-lR", small], stdout=subprocess.DEVNULL)

    def run_tar(self, mnt, r):
        """a real source tree (after a drop: passthrough_ll holds a
        descriptor per inode the kernel knows, and the limit is 20000)"""
        drop_caches()
        untar = os.path.join(mnt, "untar")
        os.mkdir(untar)
        r["untar"] = timed(["tar", "-xf", self.tar, "-C", untar])
        r["rm_rf"] = timed(["rm", "-rf", untar])

    def run_mmap(self, mnt, r):
        """mmap: dirty every page of a shared mapping, msync"""
        mib = self.a.mmap_mib
        r["mmap"] = mib / tool_seconds(
            [self.tool, "mmap", os.path.join(mnt, "map"), str(mib)])

    def latency_proc(self, *args):
        here = os.path.dirname(os.path.abspath(__file__))
        return [sys.executable, os.path.join(here, "latency.py")] + \
            [str(a) for a in args]

    def under_load(self, d, what):
        """runs the latency.py command what while a writer writes and
        fsyncs files of --lat-file-mib MiB in d/writer; returns what's
        JSON and the writer's MiB/s"""
        w = subprocess.Popen(self.latency_proc("write",
                                               os.path.join(d, "writer"),
                                               self.a.lat_file_mib),
                             stdout=subprocess.PIPE, text=True)
        try:
            if w.stdout.readline().strip() != "ready":
                raise RuntimeError("latency.py write: no start")
            out = run(self.latency_proc(*what), stdout=subprocess.PIPE,
                      text=True).stdout
        finally:
            w.send_signal(signal.SIGTERM)
            wout, _ = w.communicate(timeout=600)
        if w.returncode != 0:
            raise RuntimeError("latency.py write: failed")
        done = json.loads(wout.splitlines()[-1])
        return json.loads(out), done["mib"] / done["seconds"]

    @staticmethod
    def percentiles(r, name, ms):
        q = statistics.quantiles(ms, n=100, method="inclusive")
        r[name + "_p50"], r[name + "_p99"] = q[49], q[98]
        r[name + "_max"] = max(ms)

    def run_latency(self, mnt, r):
        """latency under load: while one process writes and fsyncs
        files, a prober every --lat-interval-ms looks up a fresh name,
        gets the attributes of an existing file and lists a directory
        never listed; then a reader reads another file, cold, in
        --lat-read-kib reads as often (bench/latency.py)"""
        d = os.path.join(mnt, "lat")
        os.makedirs(os.path.join(d, "other"))
        for i in range(32):
            with open(os.path.join(d, "other", "f%02d" % i), "w") as f:
                f.write("x" * i)
        os.mkdir(os.path.join(d, "dirs"))
        os.mkdir(os.path.join(d, "writer"))
        ticks = int(round(self.a.lat_seconds * 1000 /
                          self.a.lat_interval_ms))
        # two names each: passthrough_ll holds a descriptor per inode the
        # kernel knows, and the limit may be 20000
        drop_caches(2)
        run([self.tool, "create", os.path.join(d, "dirs"), str(ticks), "2",
             "0"], stdout=subprocess.DEVNULL)
        self.commit(mnt)
        os.sync()
        got, mibs = self.under_load(d, ("probe", d, self.a.lat_seconds,
                                        self.a.lat_interval_ms))
        for op in ("lookup", "getattr", "readdir"):
            self.percentiles(r, "load_" + op, got[op])
        r["load_probes"] = len(got["lookup"])
        r["load_writer"] = mibs
        cold = os.path.join(d, "cold")
        buf = os.urandom(MiB)
        fd = os.open(cold, os.O_WRONLY | os.O_CREAT, 0o644)
        for _ in range(self.a.lat_file_mib):
            os.write(fd, buf)
        os.fsync(fd)
        os.close(fd)
        drop_caches()
        got, mibs = self.under_load(d, ("read", cold, self.a.lat_seconds,
                                        self.a.lat_interval_ms,
                                        self.a.lat_read_kib))
        self.percentiles(r, "load_read", got["read"])
        r["load_reads"] = len(got["read"])
        r["load_read_rate"] = got["mibs"]
        r["load_read_writer"] = mibs
        for name in ("writer/w0", "writer/w1", "cold"):
            if os.path.exists(os.path.join(d, name)):
                os.unlink(os.path.join(d, name))

    def repo(self):
        """a bare copy of this repository in the work directory, made by
        git's transport (--no-local), the source of the clone row"""
        bare = os.path.join(self.work, "repo.git")
        if not os.path.exists(bare):
            top = os.path.dirname(os.path.dirname(os.path.abspath(
                __file__)))
            run(["git", "clone", "-q", "--bare", "--no-local", top, bare])
        return bare

    def run_real(self, mnt, r):
        """real-world work on a tree: /usr/share/doc copied in (rsync -a,
        or cp -a where rsync is missing), a clone of this repository,
        then cold git status, find, tar and rm -rf of the whole tree"""
        real = os.path.join(mnt, "real")
        os.mkdir(real)
        src = "/usr/share/doc"
        # the kernel forgets the latency group's inodes (passthrough_ll's
        # descriptors); the source in the page cache: the copy times the
        # mount alone
        drop_caches(2)
        self.tar_read(src)
        if shutil.which("rsync"):
            r["rsync_doc"] = timed(["rsync", "-a", src + "/",
                                    os.path.join(real, "doc")])
        else:
            self.notes.add("rsync is not installed: no rsync_doc row; "
                           "cp_a_doc copies the same tree")
            r["cp_a_doc"] = timed(["cp", "-a", src,
                                   os.path.join(real, "doc")])
        clone = os.path.join(real, "clone")
        r["git_clone"] = timed(["git", "clone", "-q", "--no-local",
                                self.repo(), clone])
        drop_caches()
        r["git_status_cold"] = timed(["git", "-C", clone, "status",
                                      "--porcelain"],
                                     stdout=subprocess.DEVNULL)
        drop_caches()
        r["find_cold"] = timed(["find", real], stdout=subprocess.DEVNULL)
        drop_caches()
        r["tar_null_cold"] = timed(["tar", "-cf", "/dev/null", "-C", mnt,
                                    "real"])
        drop_caches()
        t0 = time.monotonic()
        self.tar_read(real)
        r["tar_read_cold"] = time.monotonic() - t0
        r["rm_rf_tree"] = timed(["rm", "-rf", real])

    @staticmethod
    def tar_read(path):
        """tar -c of path into a pipe, every byte read (GNU tar writing
        to /dev/null itself skips reading the files' data)"""
        p = subprocess.Popen(["tar", "-cf", "-", "-C",
                              os.path.dirname(path),
                              os.path.basename(path)],
                             stdout=subprocess.PIPE)
        while p.stdout.read(MiB):
            pass
        if p.wait() != 0:
            raise RuntimeError(f"tar -c {path}: failed")

    def round(self, fs):
        with fs as m:
            r = self.workloads(m)
            r["rss_mib"] = m.rss() / 1024
        if hasattr(m, "db"):
            r["db_mib"] = os.path.getsize(m.db) / MiB
            wal = m.db + "-wal"
            r["wal_mib"] = (os.path.getsize(wal) if os.path.exists(wal)
                            else 0) / MiB
        else:
            r["db_mib"] = dir_bytes(m.src) / MiB
            r["wal_mib"] = 0.0
        return r

    # --- the side-by-side run -------------------------------------------

    UNITS = [("seq_write", "MiB/s", 0), ("seq_read", "MiB/s", 0),
             ("rand_read_4k", "IOPS", 0), ("rand_write_4k", "IOPS", 0),
             ("small_files_create", "files/s", 0),
             ("stat_all", "names/s", 0), ("ls_lR", "s", 1),
             ("untar", "s", 1), ("rm_rf", "s", 1), ("mmap", "MiB/s", 0)] + \
        [("load_%s_%s" % (op, q), "ms", 1)
         for op in ("lookup", "getattr", "readdir")
         for q in ("p50", "p99", "max")] + [("load_writer", "MiB/s", 0)] + \
        [("load_read_" + q, "ms", 1) for q in ("p50", "p99", "max")] + \
        [("load_read_writer", "MiB/s", 0),
         ("rsync_doc", "s", 1), ("cp_a_doc", "s", 1), ("git_clone", "s", 1),
         ("git_status_cold", "s", 1), ("find_cold", "s", 1),
         ("tar_null_cold", "s", 1), ("tar_read_cold", "s", 1),
         ("rm_rf_tree", "s", 1)]

    def compare(self):
        results = {"sqlitefs": [], "passthrough_ll": []}
        for i in range(self.a.rounds):
            order = [self.sqlitefs, self.passthrough]
            if i % 2:
                order.reverse()
            for make in order:
                fs = make()
                log(f"round {i + 1}/{self.a.rounds}: {fs.name}")
                r = self.round(fs)
                log("  " + " ".join(f"{k}={v:.4g}" for k, v in r.items()))
                results[fs.name].append(r)
        print(f"\nsqlitefs vs passthrough_ll (-o writeback -o cache=always), "
              f"median of {self.a.rounds} rounds")
        print(f"{'workload':<20}{'unit':>8}{'sqlitefs':>12}"
              f"{'passthrough':>13}{'speed ratio':>13}")
        for name, unit, is_time in self.UNITS:
            if name not in results["sqlitefs"][0]:
                continue
            sq = statistics.median(r[name] for r in results["sqlitefs"])
            pt = statistics.median(r[name] for r in results["passthrough_ll"])
            ratio = pt / sq if is_time else sq / pt
            print(f"{name:<20}{unit:>8}{sq:>12.4g}{pt:>13.4g}{ratio:>13.2f}")
        for name, unit in (("rss_mib", "MiB"), ("db_mib", "MiB"),
                           ("wal_mib", "MiB")):
            sq = max(r[name] for r in results["sqlitefs"])
            pt = max(r[name] for r in results["passthrough_ll"])
            label = {"rss_mib": "peak RSS", "db_mib": "stored size",
                     "wal_mib": "WAL size"}[name]
            print(f"{label:<20}{unit:>8}{sq:>12.4g}{pt:>13.4g}")
        print("(stored size: the database file, and the backing directory "
              "for passthrough_ll; maxima over the rounds)")
        if "load_probes" in results["sqlitefs"][0]:
            n = min(r["load_probes"] for r in results["sqlitefs"] +
                    results["passthrough_ll"])
            m = min(r["load_reads"] for r in results["sqlitefs"] +
                    results["passthrough_ll"])
            print(f"(load_*: ms per call while another process writes "
                  f"{self.a.lat_file_mib} MiB files with fsync: "
                  f"{self.a.lat_seconds:g} s of probes every "
                  f"{self.a.lat_interval_ms:g} ms, {n} of each a round, "
                  f"then as long of {self.a.lat_read_kib} KiB reads at "
                  f"most as often, at least {m} a round; load_read_rate: "
                  f"the reader's, load_*writer: the writer's rate; ratio "
                  f"passthrough / sqlitefs, above 1: sqlitefs answers "
                  f"sooner)")
        for note in sorted(self.notes):
            print(f"({note})")

    # --- sqlitefs against itself: the journal and the search indexes -----

    @staticmethod
    def commit(mnt):
        """fsync on a directory commits the daemon's whole batch, and the
        journal's events with it"""
        fd = os.open(mnt, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    def ab_workloads(self, m, names, keep=False):
        """The workloads of the A/B modes, each timed up to its commit (the
        journal writes its events at the commit); keep: no rm -rf after
        the untar."""
        mnt, r = m.mnt, {}
        if m.grind:
            callgrind_step(m)
        cpu = [daemon_cpu(m.proc.pid)]
        wrote = [daemon_written(m.proc.pid)]

        def took(name):
            """the daemon's CPU seconds and bytes written since the last
            call; under callgrind, its instructions"""
            if m.grind:
                r[name + "_insns"] = callgrind_step(m)
            cpu.append(daemon_cpu(m.proc.pid))
            wrote.append(daemon_written(m.proc.pid))
            r[name + "_cpu"] = cpu[-1] - cpu[-2]
            r[name + "_written"] = (wrote[-1] - wrote[-2]) / MiB

        if "untar" in names:
            drop_caches()
            untar = os.path.join(mnt, "untar")
            os.mkdir(untar)
            t0 = time.monotonic()
            run(["tar", "-xf", self.tar, "-C", untar])
            self.commit(mnt)
            r["untar"] = time.monotonic() - t0
            took("untar")
        if "untar" in names and not keep:
            t0 = time.monotonic()
            run(["rm", "-rf", untar])
            self.commit(mnt)
            r["rm_rf"] = time.monotonic() - t0
            took("rm_rf")
        if "small_files_create" in names:
            small = os.path.join(mnt, "small")
            os.mkdir(small)
            nd, nf = self.a.dirs, self.a.files
            took("")
            t0 = time.monotonic()
            run([self.tool, "create", small, str(nd), str(nf), "4096"],
                stdout=subprocess.DEVNULL)
            self.commit(mnt)
            r["small_files_create"] = nd * nf / (time.monotonic() - t0)
            took("small_files_create")
        if "rename" in names and "small_files_create" in names:
            # each file of small_files_create to a new name in another
            # directory (a rename changes the entry's parent and name)
            moved = os.path.join(mnt, "moved")
            for d in range(nd):
                os.makedirs(os.path.join(moved, "d%04d" % d))
            took("")
            t0 = time.monotonic()
            for d in range(nd):
                for f in range(nf):
                    os.rename(os.path.join(small, "d%04d/f%05d" % (d, f)),
                              os.path.join(moved, "d%04d/g%05d" % (d, f)))
            self.commit(mnt)
            r["rename"] = nd * nf / (time.monotonic() - t0)
            took("rename")
        if "seq_write" in names:
            took("")
            wall, _ = self.fio(mnt, "seq", "write", "1M", self.seq_mib,
                               ["--end_fsync=1"])
            r["seq_write"] = self.seq_mib / wall
            took("seq_write")
            os.unlink(os.path.join(mnt, "seq"))
        if "rand_write_4k" in names:
            self.fio(mnt, "rand", "write", "1M", self.rand_mib,
                     ["--end_fsync=1"])
            took("")
            wall, ios = self.fio(mnt, "rand", "randwrite", "4k",
                                 self.rand_mib,
                                 ["--runtime=%d" % self.a.runtime,
                                  "--time_based", "--end_fsync=1"])
            r["rand_write_4k"] = ios / wall
            # per write: the count of writes differs between runs
            took("rand_write_4k")
            r["rand_write_4k_cpu"] /= ios / 1e6
            r["rand_write_4k_written"] /= ios / 1e6
            if m.grind:
                r["rand_write_4k_insns"] /= ios / 1e6
            os.unlink(os.path.join(mnt, "rand"))
        for k in ("_cpu", "_written", "_insns"):
            r.pop(k, None)
        return r

    AB_UNITS = {"untar": ("s", 1), "rm_rf": ("s", 1),
                "small_files_create": ("files/s", 0),
                "rename": ("files/s", 0),
                "seq_write": ("MiB/s", 0), "rand_write_4k": ("IOPS", 0)}

    def ab(self, title, variants, names):
        """Runs names on a fresh sqlitefs per variant (label, prep), the
        order rotating per round, and prints each variant's cost against
        the first: time taken / time of the first - 1, from the median of
        the per-round ratios (rounds pair runs made minutes apart)."""
        res = {label: [] for label, _ in variants}
        n = len(variants)
        for i in range(self.a.rounds):
            order = variants[i % n:] + variants[:i % n]
            for label, prep in order:
                log(f"round {i + 1}/{self.a.rounds}: {label}")
                with self.sqlitefs(self.a.tag, prep) as m:
                    r = self.ab_workloads(m, names)
                log("  " + " ".join(f"{k}={v:.4g}" for k, v in r.items()
                                    if not k.endswith("_written")))
                res[label].append(r)
        base = variants[0][0]
        print(f"\n{title}, {self.a.rounds} rounds, order rotating")
        print("cost: time taken against '%s' - 1 (median of the rounds' "
              "ratios; min..max), and the same of the daemon's CPU time "
              "and of the bytes it wrote (per write for rand_write_4k)"
              % base)
        print(f"{'workload':<20}{'unit':>8}" + "".join(
            f"{label:>22}" for label, _ in variants))
        for name in [k for k in self.AB_UNITS if k in res[base][0]]:
            unit, is_time = self.AB_UNITS[name]
            line = f"{name:<20}{unit:>8}"
            for label, _ in variants:
                med = statistics.median(r[name] for r in res[label])
                line += f"{med:>22.4g}"
            print(line)
            costs = [("  cost, time", name, not is_time),
                     ("  cost, daemon CPU", name + "_cpu", False),
                     ("  cost, bytes written", name + "_written", False)]
            if self.callgrind:
                costs.append(("  cost, instructions", name + "_insns",
                              False))
            for what, key, inv in costs:
                line = f"{what:<28}"
                for label, _ in variants:
                    ratios = [(b[key] / v[key]) if inv
                              else (v[key] / b[key])
                              for v, b in zip(res[label], res[base])]
                    med = statistics.median(ratios) - 1
                    lo, hi = min(ratios) - 1, max(ratios) - 1
                    cell = (f"{med * 100:+.1f}% "
                            f"({lo * 100:+.0f}..{hi * 100:+.0f})")
                    line += f"{cell:>22}"
                print(line)
        return res

    @staticmethod
    def sql(db, *stmts):
        """Changes the unmounted database directly: the switch the control
        ioctl (db_set()) flips on a mount"""
        import sqlite3
        con = sqlite3.connect(db)
        for stmt in stmts:
            con.execute(stmt)
        con.commit()
        con.close()

    def journal_full(self, db):
        """A journal that already retains its default 1 000 000 events:
        every commit then trims as many as it adds"""
        keep = 1000000
        self.sql(db,
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                 "FROM n WHERE i < %d) INSERT INTO journal (id, time, ino, "
                 "type, reasons, parent, path) SELECT i, i, 1000000 + i, "
                 "32768, 1, 1, '/untar/include/linux/some_header_' || i "
                 "|| '.h' FROM n" % keep,
                 "UPDATE settings SET value = %d WHERE key = "
                 "'journal_next'" % (keep + 1),
                 "UPDATE settings SET value = %d WHERE key = "
                 "'journal_max_events'" % keep)

    def ab_names(self, names):
        """names, or those of them --ab-only names"""
        if not self.a.ab_only:
            return names
        return [n for n in names if n in self.a.ab_only.split(",")]

    def journal_off(self, db):
        """sqlitefs-changes --set journal=off on the unmounted database
        (the settings row itself where the program was not built)"""
        if os.path.exists(self.a.changes):
            run([self.a.changes, "--set", "journal=off", db],
                stdout=subprocess.DEVNULL)
        else:
            self.sql(db, "UPDATE settings SET value = 0 "
                     "WHERE key = 'journal'")

    def journal_overhead(self):
        variants = [("journal off", self.journal_off),
                    ("journal on", None),
                    ("on, 1M retained", self.journal_full)]
        self.ab("the change journal: sqlitefs with it against without",
                variants, self.ab_names(["untar", "small_files_create",
                                         "seq_write"]))
        self.journal_space()

    def journal_space(self):
        """Events and the journal's bytes per event, one workload per fresh
        database (dbstat: the b-tree pages of table journal, and the bytes
        of its records)"""
        import sqlite3
        print("\nthe journal's size, one workload per fresh database")
        print(f"{'workload':<20}{'events':>9}{'pages B/event':>15}"
              f"{'record B/event':>16}")
        for name in ("untar", "small_files_create", "seq_write"):
            with self.sqlitefs("jspace") as m:
                self.ab_workloads(m, [name], keep=True)
            con = sqlite3.connect(m.db)
            events, = con.execute("SELECT count(*) FROM journal").fetchone()
            pages, payload = con.execute(
                "SELECT sum(pgsize), sum(payload) FROM dbstat "
                "WHERE name = 'journal'").fetchone()
            con.close()
            print(f"{name:<20}{events:>9}{pages / max(events, 1):>15.1f}"
                  f"{payload / max(events, 1):>16.1f}")

    def index_cost(self):
        # mkfs makes search_name; size and mtime are added as
        # db_set("index_add") makes them
        made = {"search_size": 'CREATE INDEX "search_size" ON inode (size)',
                "search_mtime": 'CREATE INDEX "search_mtime" ON inode (mtime)'}

        def only(*names):
            sql = [made[n] for n in names if n in made]
            if "search_name" not in names:
                sql.append("DROP INDEX search_name")
            return lambda db: self.sql(db, *sql)
        variants = [("all three", only("search_name", "search_size",
                                       "search_mtime")),
                    ("no search_name", only("search_size", "search_mtime")),
                    ("no search_size", only("search_name", "search_mtime")),
                    ("no search_mtime", only("search_name", "search_size")),
                    ("none", only())]
        self.ab("the search indexes: sqlitefs with each dropped against all "
                "three", variants,
                self.ab_names(["untar", "small_files_create", "seq_write",
                               "rand_write_4k"]))

    # --- scale and space checks ------------------------------------------

    def scale(self):
        nd, total, step = 1000, self.a.scale_files, self.a.scale_files // 10
        with self.sqlitefs("scale") as m:
            out = run([self.tool, "scale", m.mnt, str(nd),
                       str(total // nd), str(step)],
                      stdout=subprocess.PIPE, text=True).stdout
            steps = [float(l.split()[2]) for l in out.splitlines()
                     if l.startswith("step ")]
            probe_big = self.probe(m.mnt, nd, total // nd)
            rss = m.rss() / 1024
        with self.sqlitefs("scale_small") as m:
            run([self.tool, "scale", m.mnt, "10", "100", "1000"],
                stdout=subprocess.DEVNULL)
            probe_small = self.probe(m.mnt, 10, 100)
        print(f"\nscale: {total} empty files in {nd} directories, "
              f"steps of {step}")
        print("  step seconds: " + " ".join(f"{s:.2f}" for s in steps))
        print(f"  last step / first step: {steps[-1] / steps[0]:.2f} "
              f"(target <= 2)")
        print(f"  lstat of {self.a.probes} distinct names the kernel "
              f"forgot: "
              f"{probe_big:.0f}/s at {total} files, {probe_small:.0f}/s at 1000 "
              f"(ratio {probe_big / probe_small:.2f}, target >= 1 "
              f"within noise)")
        print(f"  peak RSS {rss:.1f} MiB")

    def probe(self, mnt, nd, nf):
        # forget names and inodes in the kernel, keep the database's pages
        # in the page cache: this measures the daemon's look-ups
        drop_caches(2)
        n = self.a.probes
        return n / tool_seconds([self.tool, "probe", mnt, str(nd), str(nf),
                                 str(n)])

    def space(self):
        mib = self.seq_mib
        with self.sqlitefs("space") as m:
            f = os.path.join(m.mnt, "big")
            stop, wal_max = threading.Event(), [0]

            def watch():
                while not stop.is_set():
                    try:
                        wal_max[0] = max(wal_max[0],
                                         os.path.getsize(m.db + "-wal"))
                    except OSError:
                        pass
                    time.sleep(0.05)

            t = threading.Thread(target=watch)
            t.start()
            self.fio(m.mnt, "big", "write", "1M", mib, ["--end_fsync=1"])
            first = os.path.getsize(m.db)
            free_full = os.statvfs(m.mnt).f_bfree
            os.unlink(f)
            fd = os.open(m.mnt, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            free_empty = os.statvfs(m.mnt).f_bfree
            bs = os.statvfs(m.mnt).f_frsize
            self.fio(m.mnt, "big", "write", "1M", mib, ["--end_fsync=1"])
            second = os.path.getsize(m.db)
            wal_plain = wal_max[0]
            os.unlink(f)
            # a reader holding a snapshot while writes go on
            wal_max[0] = 0
            reader = subprocess.Popen(
                ["sqlite3", m.db],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            reader.stdin.write("BEGIN; SELECT count(*) FROM inode;\n")
            reader.stdin.flush()
            self.fio(m.mnt, "big", "write", "1M", mib, ["--end_fsync=1"])
            reader.stdin.write("COMMIT;\n.quit\n")
            reader.stdin.close()
            reader.wait()
            wal_reader = wal_max[0]
            os.unlink(f)
            fd = os.open(m.mnt, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            self.fio(m.mnt, "big2", "write", "1M", 64, ["--end_fsync=1"])
            stop.set()
            t.join()
            wal_after = os.path.getsize(m.db + "-wal")
        print(f"\nspace: write {mib} MiB, delete, write again")
        print(f"  database after the first write:  {first / MiB:.1f} MiB")
        print(f"  database after the second write: {second / MiB:.1f} MiB "
              f"(ratio to data {second / (mib * MiB):.3f}, target <= 1.15)")
        print(f"  statfs free blocks full/emptied: {free_full * bs / MiB:.0f}"
              f" / {free_empty * bs / MiB:.0f} MiB")
        print(f"  largest WAL while writing: {wal_plain / MiB:.1f} MiB")
        print(f"  largest WAL with a reader holding a snapshot: "
              f"{wal_reader / MiB:.1f} MiB; after it let go: "
              f"{wal_after / MiB:.1f} MiB")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sqlitefs", required=True)
    p.add_argument("--mkfs", required=True)
    p.add_argument("--passthrough", required=True)
    p.add_argument("--benchtool", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seq-mib", type=int, default=1024)
    p.add_argument("--rand-mib", type=int, default=256)
    p.add_argument("--runtime", type=int, default=10)
    p.add_argument("--dirs", type=int, default=200)
    p.add_argument("--files", type=int, default=98)
    p.add_argument("--mmap-mib", type=int, default=64)
    p.add_argument("--only", default="seq,rand,small,tar,mmap",
                   help="workload groups to run (comma-separated: seq, "
                   "rand, small, tar, mmap; not by default: latency, "
                   "real)")
    p.add_argument("--lat-seconds", type=float, default=20,
                   help="latency group: seconds of probes, and of reads")
    p.add_argument("--lat-interval-ms", type=float, default=5,
                   help="latency group: a probe, or a read, every this")
    p.add_argument("--lat-file-mib", type=int, default=256,
                   help="latency group: the size of the writer's files")
    p.add_argument("--lat-read-kib", type=int, default=128,
                   help="latency group: the size of the reader's reads")
    p.add_argument("--mkfs-args", default="")
    p.add_argument("--sqlitefs-opts", default="")
    p.add_argument("--scale", action="store_true",
                   help="run the 1 000 000-file scale check")
    p.add_argument("--scale-files", type=int, default=1000000)
    p.add_argument("--probes", type=int, default=1000)
    p.add_argument("--space", action="store_true",
                   help="run the space and WAL checks")
    p.add_argument("--no-compare", action="store_true",
                   help="skip the side-by-side workloads")
    p.add_argument("--journal-overhead", action="store_true",
                   help="sqlitefs with the change journal against without")
    p.add_argument("--index-cost", action="store_true",
                   help="sqlitefs with each search index dropped")
    p.add_argument("--callgrind", action="store_true",
                   help="--journal-overhead, --index-cost: run the daemon "
                   "under callgrind and count its instructions too")
    p.add_argument("--tar", help="the tarball of the untar workload "
                   "(default: /usr/include, made in the work directory)")
    p.add_argument("--ab-only", help="--journal-overhead, --index-cost: "
                   "these workloads only "
                   "(comma-separated: untar, small_files_create, rename "
                   "(after small_files_create), seq_write, rand_write_4k)")
    p.add_argument("--tag", default="ab",
                   help="the name of their database and mountpoint")
    p.add_argument("--search", action="store_true",
                   help="search timings on a generated tree (bench/search.py)")
    p.add_argument("--search-files", type=int, default=1000000)
    p.add_argument("--search-queries", type=int, default=200,
                   help="queries of each kind timed for p50 and p99")
    p.add_argument("--search-no-find", action="store_true",
                   help="skip find(1) on the mount and on ext4")
    p.add_argument("--find-tool",
                   help="sqlitefs-find, timed beside the SQL stand-in")
    p.add_argument("--search-load", action="store_true",
                   help="also time mkfs.sqlitefs -d of the generated tree")
    p.add_argument("--fsck", default="build/src/fsck.sqlitefs")
    p.add_argument("--mkfs-bin", default="build/src/mkfs.sqlitefs")
    p.add_argument("--changes", default="build/src/sqlitefs-changes")
    a = p.parse_args()
    b = Bench(a)
    if a.journal_overhead:
        b.journal_overhead()
    if a.index_cost:
        b.index_cost()
    if a.search:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        sys.dont_write_bytecode = True
        import search
        search.run_search(b, log, drop_caches)
    if not a.no_compare:
        b.compare()
    if a.space:
        b.space()
    if a.scale:
        b.scale()


if __name__ == "__main__":
    main()
