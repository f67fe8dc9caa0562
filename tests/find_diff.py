#!/usr/bin/env python3
# find_diff.py - sqlitefs-find compared with find(1) on a generated tree
#
#   find_diff.py tree MNT SEED       makes the tree in MNT (a mount)
#   find_diff.py diff MNT TOOL SEED N
#                                    N random expressions: the sorted
#                                    output of `find START EXPR` and of
#                                    `TOOL START EXPR` must be equal
#   find_diff.py xattr MNT TOOL SEED N
#                                    N random -xattr expressions, against
#                                    os.walk() and os.getxattr()
# The tree: about 3000 entries (files of many sizes, empty ones, dirs,
# symlinks, fifos, sockets, devices, hard links) with varied modes,
# owners, mtimes (old, recent, in the future) and names (spaces, glob
# characters, leading dots, mixed case), and user.* xattrs.  Every mtime is
# 30 s (+ < 0.5 s) past a whole minute of age at the time the tree is made
# (recorded in MNT/.t0), so -mtime and -mmin, which round ages to minutes
# and days, are only generated when no age is near a boundary.
# Prints TAP comments; the seed is printed so that a failure can be rerun.
import json
import os
import random
import stat
import subprocess
import sys
import time

NAMES = ["a", "b", "x.c", "y.h", "Makefile", "README", "notes.txt", "a b",
         "star*", "q?", "[br]", "back\\slash", ".hidden", "UPPER.C",
         "mixed Case.c", "-dash", "long_" + "n" * 60, "dot.", "Ab", "aB",
         "tag*me", "x.C"]
SIZES = [0, 0, 0, 1, 2, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 4096,
         65535, 65536, 65537, 1048575, 1048576, 1048577, 3000000]
MODES = [0o644, 0o600, 0o755, 0o700, 0o444, 0o640, 0o777, 0o4755, 0o2755,
         0o1777, 0o000, 0o621, 0o6711, 0o1644]
OWNERS = [0, 0, 1, 1000, 65534, 12345]
TAGS = ["red", "blue", "green", "", "a b", "x=y"]


def age_ns(rng):
    """An age (ns) a whole number of minutes plus 30 s and a fraction."""
    kind = rng.random()
    if kind < 0.15:
        minutes = -rng.randint(1, 3 * 1440)          # in the future
    elif kind < 0.5:
        minutes = rng.randint(0, 120)                # recent
    elif kind < 0.85:
        minutes = rng.randint(0, 10 * 1440)          # days
    else:
        minutes = rng.randint(0, 10 * 365 * 1440)    # years
    return minutes * 60 * 10**9 + 30 * 10**9 + rng.randint(0, 5 * 10**8)


def make_file(rng, path):
    kind = rng.random()
    if kind < 0.70:
        with open(path, "wb") as f:
            size = rng.choice(SIZES)
            if size:
                f.truncate(size)
                f.seek(0)
                f.write(b"x")
    elif kind < 0.80:
        os.symlink(rng.choice(["x.c", "../a", "nowhere", "a" * 200]), path)
    elif kind < 0.88:
        os.mkfifo(path)
    elif kind < 0.93:
        os.mknod(path, stat.S_IFSOCK | 0o644)
    elif kind < 0.97:
        os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 3))
    else:
        os.mknod(path, stat.S_IFBLK | 0o644, os.makedev(7, 0))


def decorate(rng, path, t0):
    """Mode, owner, xattrs and mtime of path (not through symlinks)."""
    st = os.lstat(path)
    if not stat.S_ISLNK(st.st_mode):
        os.chown(path, rng.choice(OWNERS), rng.choice(OWNERS))
        os.chmod(path, rng.choice(MODES))
        if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
            if rng.random() < 0.3:
                os.setxattr(path, "user.tag", rng.choice(TAGS).encode())
            if rng.random() < 0.15:
                os.setxattr(path, "user.color", b"c%d" % rng.randint(0, 3))
    else:
        os.lchown(path, rng.choice(OWNERS), rng.choice(OWNERS))
    m = t0 - age_ns(rng)
    os.utime(path, ns=(m, m), follow_symlinks=False)


def make_tree(mnt, seed):
    rng = random.Random(seed)
    t0 = time.time_ns()
    dirs, paths = [mnt], []
    while len(paths) < 3000:
        parent = rng.choice(dirs)
        name = rng.choice(NAMES) + ("" if rng.random() < 0.5
                                    else "%d" % rng.randint(0, 99))
        path = os.path.join(parent, name)
        if os.path.lexists(path):
            continue
        kind = rng.random()
        if kind < 0.15 and path.count("/") - mnt.count("/") < 6:
            os.mkdir(path)
            dirs.append(path)
        elif kind < 0.20 and paths:
            src = rng.choice(paths)
            if not os.path.islink(src) and not os.path.isdir(src):
                os.link(src, path)
            else:
                continue
        else:
            make_file(rng, path)
        paths.append(path)
    os.mkdir(os.path.join(mnt, "emptydir"))
    # decorate children before parents: their changes move dir mtimes
    for path in sorted(paths + [os.path.join(mnt, "emptydir")],
                       key=lambda p: -p.count("/")):
        decorate(rng, path, t0)
    with open(os.path.join(mnt, ".t0"), "w") as f:
        f.write("%d\n" % t0)
    os.utime(os.path.join(mnt, ".t0"), ns=(t0 - 90 * 10**9,) * 2)
    os.utime(mnt, ns=(t0 - 30 * 10**9,) * 2)


# --- expressions ------------------------------------------------------------

class Gen:
    def __init__(self, rng, mnt, files, times):
        self.rng, self.mnt, self.files, self.times = rng, mnt, files, times

    def num(self, hi):
        return self.rng.choice(["", "+", "-"]) + str(self.rng.randint(0, hi))

    def pattern(self):
        r = self.rng
        base = os.path.basename(r.choice(self.files))
        return r.choice([base, base, "*.c", "*.C", "*x*", "?", "??", "a*",
                         "[a-c]*", ".*", "*", "*[*]*", "*\\?*", "*[!a-z]",
                         base[:2] + "*", "*" + base[-2:], "[[]br]*",
                         "* *", "*9", "long_*", "dot."])

    def path_pattern(self):
        r = self.rng
        rel = os.path.relpath(r.choice(self.files), self.mnt)
        first = rel.split("/")[0]
        return r.choice(["*/" + first + "/*", "*" + first + "*",
                         self.mnt + "/" + rel, "*/a*/*", "*.c",
                         "*/[ab]*", "*" + rel[-3:]])

    def perm(self):
        r = self.rng
        mode = r.choice(["%o" % r.choice(MODES), "%o" % r.randint(0, 0o7777),
                         "u+w", "g=rx", "o+x", "a+r", "u=rwx,g=rx,o=rx",
                         "g+s", "+t", "u+s", "go-w", "ug+x", "700", "0",
                         "111", "4000"])
        return r.choice(["", "-", "/"]) + mode

    def leaf(self):
        r = self.rng
        preds = [
            lambda: ["-name", self.pattern()],
            lambda: ["-iname", self.pattern()],
            lambda: ["-path", self.path_pattern()],
            lambda: ["-ipath", self.path_pattern().upper()],
            lambda: ["-type", ",".join(r.sample("bcdpfls", r.randint(1, 3)))],
            lambda: ["-size", self.num(3) + r.choice("bcwkMG") if r.random()
                     < 0.6 else self.num(5000) + "c"],
            lambda: ["-size", self.num(4)],
            lambda: ["-newer", r.choice(self.files)],
            lambda: ["-user", r.choice(["root", "nobody", "0", "1000",
                                        "12345"])],
            lambda: ["-group", r.choice(["root", "0", "1000", "65534"])],
            lambda: ["-uid", self.num(2)] if r.random() < 0.5
            else ["-uid", r.choice(["1000", "+999", "-1001", "65534"])],
            lambda: ["-gid", r.choice(["0", "1", "+1", "-1000", "12345"])],
            lambda: ["-perm", self.perm()],
            lambda: ["-links", self.num(3)],
            lambda: ["-inum", str(os.lstat(r.choice(self.files)).st_ino)],
            lambda: ["-inum", self.num(200)],
            lambda: ["-empty"],
            lambda: [r.choice(["-true", "-false"])],
        ]
        if self.times:
            preds += [
                lambda: ["-mtime", self.num(r.choice([2, 12, 400, 4000]))],
                lambda: ["-mmin", self.num(r.choice([3, 130, 3000, 20000]))],
            ]
        return r.choice(preds)()

    def expr(self, depth):
        r = self.rng
        k = r.random()
        if depth <= 0 or k < 0.35:
            return self.leaf()
        if k < 0.45:
            return [r.choice(["!", "-not"])] + self.expr(depth - 1)
        if k < 0.55:
            return ["("] + self.expr(depth - 1) + [")"]
        op = r.choice([[], ["-a"], ["-and"], ["-o"], ["-or"], ["-o"]])
        return self.expr(depth - 1) + op + self.expr(depth - 1)

    def command(self):
        r = self.rng
        opts = []
        if r.random() < 0.2:
            opts += ["-maxdepth", str(r.randint(0, 4))]
        if r.random() < 0.15:
            opts += ["-mindepth", str(r.randint(0, 3))]
        e = self.expr(r.randint(1, 4))
        if r.random() < 0.1:
            e = ["("] + e + [")", "-print"]
        elif r.random() < 0.05:
            e = e + ["-o", "-print"]
        return opts + e


def starts(rng, mnt, dirs):
    d = rng.choice(dirs)
    return rng.choice([mnt, mnt, mnt + "/", d, d + "/"])


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C"))
    return p.returncode, sorted(p.stdout.split(b"\n")), p.stderr


def time_safe(t0):
    """Whether no age is within 2 s of a rounding boundary of -mmin or
    -mtime now and for the next 2 s (ages are 30 s past a minute at t0;
    boundaries are at 0 and 1 s past one)."""
    phase = ((time.time_ns() - t0) / 1e9 + 30) % 60
    return 3 < phase < 56


def diff(mnt, tool, seed, count):
    rng = random.Random(seed)
    t0 = int(open(os.path.join(mnt, ".t0")).read())
    files, dirs = [], []
    for root, ds, fs in os.walk(mnt):
        files += [os.path.join(root, f) for f in fs + ds]
        dirs += [os.path.join(root, d) for d in ds]
    bad = 0
    for i in range(count):
        safe = time_safe(t0)
        gen = Gen(rng, mnt, files, safe)
        start = starts(rng, mnt, dirs)
        expr = gen.command()
        rc1, out1, err1 = run(["find", start] + expr)
        rc2, out2, err2 = run([tool, start] + expr)
        if safe and not time_safe(t0):
            continue  # took too long: an age may have crossed a boundary
        if rc1 != rc2 or out1 != out2:
            bad += 1
            only1 = sorted(set(out1) - set(out2))[:5]
            only2 = sorted(set(out2) - set(out1))[:5]
            print("# mismatch %d: %r" % (i, [start] + expr))
            print("#   find %d %s; tool %d %s" % (rc1, err1[:200], rc2,
                                                   err2[:200]))
            print("#   only find: %r" % only1)
            print("#   only tool: %r" % only2)
            if bad >= 10:
                break
    print("# %d expressions, %d mismatches (seed %d)" % (count, bad, seed))
    return 1 if bad else 0


def xattr_leaf(rng):
    name = rng.choice(["user.tag", "user.color", "user.none"])
    if rng.random() < 0.5:
        return ["-xattr", name], (name, None)
    value = rng.choice(TAGS + ["c0", "c1", "c2", "nope"])
    return ["-xattr", name + "=" + value], (name, value.encode())


def xattr_expr(rng, depth):
    """A random expression over -xattr, -type f/d and ! -a -o, with its
    evaluation as a python function."""
    k = rng.random()
    if depth <= 0 or k < 0.4:
        if rng.random() < 0.2:
            t = rng.choice("fd")
            want = stat.S_IFREG if t == "f" else stat.S_IFDIR
            return ["-type", t], lambda p, st: stat.S_IFMT(st.st_mode) == want
        args, (name, value) = xattr_leaf(rng)

        def has(p, st, name=name, value=value):
            try:
                v = os.getxattr(p, name, follow_symlinks=False)
            except OSError:
                return False
            return value is None or v == value
        return args, has
    if k < 0.55:
        a, f = xattr_expr(rng, depth - 1)
        return ["!", "("] + a + [")"], lambda p, st: not f(p, st)
    a, f = xattr_expr(rng, depth - 1)
    b, g = xattr_expr(rng, depth - 1)
    a, b = ["("] + a + [")"], ["("] + b + [")"]
    if rng.random() < 0.5:
        return a + ["-o"] + b, lambda p, st: f(p, st) or g(p, st)
    return a + ["-a"] + b, lambda p, st: f(p, st) and g(p, st)


def xattr(mnt, tool, seed, count):
    rng = random.Random(seed)
    everything = [mnt]
    for root, ds, fs in os.walk(mnt):
        everything += [os.path.join(root, f) for f in fs + ds]
    stats = {p: os.lstat(p) for p in everything}
    bad = 0
    for i in range(count):
        args, f = xattr_expr(rng, rng.randint(1, 3))
        want = sorted(p.encode() for p in everything if f(p, stats[p]))
        rc, out, err = run([tool, mnt] + args)
        got = [line for line in out if line]
        if rc != 0 or got != want:
            bad += 1
            print("# mismatch %d: %r (exit %d %s)" % (i, args, rc, err))
            print("#   only python: %r" % sorted(set(want) - set(got))[:5])
            print("#   only tool: %r" % sorted(set(got) - set(want))[:5])
            if bad >= 10:
                break
    print("# %d xattr expressions, %d mismatches (seed %d)" % (count, bad,
                                                             seed))
    return 1 if bad else 0


class Session:
    """sqlitefs-find --queries on mnt: one process, query after query"""

    def __init__(self, tool, mnt, *opts):
        self.json = "--json" in opts
        self.p = subprocess.Popen([tool, *opts, "--queries", mnt],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)

    def ask(self, line, end=b"\n"):
        """the records of the answer to line, up to the empty one"""
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        out = []
        while True:
            rec = b""
            while not rec.endswith(end):
                c = self.p.stdout.read(1)
                if not c:
                    raise RuntimeError("the answer has no end: %r" % out)
                rec += c
            if rec == end:
                return out
            out.append(rec[:-1].decode("utf-8", "surrogateescape"))
            if self.json and json.loads(out[-1]).get("end"):
                return out

    def close(self):
        self.p.stdin.close()
        err = self.p.stderr.read().decode()
        return self.p.wait(), err


def commit(path):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def queries(mnt, tool):
    """--queries: answers current to the last commit, each ended; a bad
    line answered with an error, the rest still answered; exit 1"""
    ok = True

    def expect(what, got, want):
        nonlocal ok
        if got != want:
            print("# %s: got %r, want %r" % (what, got, want))
            ok = False

    s = Session(tool, mnt)
    q = json.dumps(["-name", "q*.txt"])
    expect("before", s.ask(q), [])
    with open(os.path.join(mnt, "q1.txt"), "w") as f:
        f.write("x")
    commit(os.path.join(mnt, "q1.txt"))
    expect("after a commit", s.ask(q), [os.path.join(mnt, "q1.txt")])
    raw = os.path.join(mnt.encode(), b"q\xff.txt")
    with open(raw, "w") as f:
        f.write("y")
    commit(raw)
    expect("a raw byte as \\udcff", s.ask('["-name", "q\\udcff.txt"]'),
           [raw.decode("utf-8", "surrogateescape")])
    expect("not an array", s.ask("-name x"), [])
    expect("an unknown predicate", s.ask('["-frobnicate"]'), [])
    expect("-print0", s.ask('["-name", "q1.txt", "-print0"]', b"\0"),
           [os.path.join(mnt, "q1.txt")])
    expect("and on after it", len(s.ask(q)), 2)
    status, err = s.close()
    expect("exit status", status, 1)
    expect("stderr", [l.split(":", 2)[1] for l in err.splitlines()],
           [" query 4", " query 5"])

    s = Session(tool, mnt, "--json")
    ans = [json.loads(l) for l in s.ask(q)]
    expect("--json: the matches, then the end",
           sorted(a.get("path") for a in ans[:-1]),
           sorted([os.path.join(mnt, "q1.txt"),
                   raw.decode("utf-8", "surrogateescape")]))
    expect("--json: found", ans[-1], {"end": True, "found": 2})
    ans = [json.loads(l) for l in s.ask("[1]")]
    expect("--json: an error", list(ans[-1]), ["end", "error"])
    expect("--json: exit status", s.close()[0], 1)
    return 0 if ok else 1


def main():
    what = sys.argv[1]
    if what == "tree":
        make_tree(sys.argv[2], int(sys.argv[3]))
        return 0
    if what == "queries":
        return queries(sys.argv[2], sys.argv[3])
    mnt, tool, seed, count = sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5])
    return diff(mnt, tool, seed, count) if what == "diff" else \
        xattr(mnt, tool, seed, count)


sys.exit(main())
