#!/usr/bin/env python3
"""The --tail robustness cases (docs/robustness.md), run against a follower: lost, doubled
and garbled records, pick-up latency, and behaviour with a FIFO or
/dev/zero at the path. Not run in CI (timings); see docs/robustness.md.

usage: bench/tail-cases.py FOLLOWER [CASE...]
  FOLLOWER: `connspy` (target/release/connspy-stream, or $CONNSPY_STREAM),
            `gnu` (/usr/bin/tail -F -n +1)
  CASE: copytrunc20 truncgrow midline latewriter latency fifo devzero
        (default: all)
"""
import os, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

H = 1565658000
BIN = os.environ.get("CONNSPY_STREAM", "target/release/connspy-stream")
REC = re.compile(r"^\d+ w(\d+) sink$")


def rec(n):
    return f"{H + 1} w{n} sink\n"


def recs(a, b):
    return "".join(rec(n) for n in range(a, b))


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


class Follower:
    def __init__(self, kind, log, extra=()):
        self.kind, self.log = kind, log
        if kind == "gnu":
            cmd = ["/usr/bin/tail", "-F", "-n", "+1", log]
        else:
            cmd = [BIN, "--to", "sink", "--from", "a", "--max_log_late_seconds", "0",
                   "--tail", "--emit-counts", *extra, log]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  bufsize=1 << 16)
        self.lines, self.err = [], []
        self.arrived = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=a, daemon=True)
                        for a in ((self.p.stdout, self.lines), (self.p.stderr, self.err))]
        for r in self.readers:
            r.start()
        time.sleep(0.5)

    def _read(self, pipe, into):
        # read1: whatever has come, without waiting for a full buffer.
        pending = b""
        for chunk in iter(lambda: pipe.read1(1 << 16), b""):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            now = time.perf_counter()
            with self.arrived:
                into.extend((now, l.decode(errors="replace")) for l in lines)
                self.arrived.notify_all()

    def wait_lines(self, n, timeout=10):
        end = time.time() + timeout
        with self.arrived:
            while len(self.lines) < n and time.time() < end:
                self.arrived.wait(0.05)
        return len(self.lines) >= n

    def stop(self, sig=signal.SIGTERM):
        done = []
        waiter = threading.Thread(target=lambda: done.append((self.p.wait(),
                                                              time.perf_counter())))
        waiter.start()
        t = time.perf_counter()
        self.p.send_signal(sig)
        waiter.join(5)
        if not done:
            self.p.kill()
            waiter.join()
            took = None
        else:
            took = done[0][1] - t
        # All the output, to its end.
        for r in self.readers:
            r.join(10)
        return self.p.returncode, took

    def counts(self, written, current_log):
        """(lost, doubled, garbled) after the writing is over."""
        seen = [0] * written
        garbled = 0
        if self.kind == "gnu":
            time.sleep(1.0)
            self.stop()
            for _, line in self.lines:
                m = REC.match(line)
                if m and int(m.group(1)) < written:
                    seen[int(m.group(1))] += 1
                elif not line.startswith("tail:"):
                    garbled += 1
        else:
            time.sleep(0.5)
            append(current_log, f"{H + 7300} z z\n")
            self.wait_lines(1)
            # Until the closed hour's rows have all come.
            while True:
                n = len(self.lines)
                time.sleep(0.5)
                if len(self.lines) == n:
                    break
            self.stop()
            for _, line in self.lines:
                cols = line.split("\t")
                if len(cols) == 4 and cols[1] == "COUNT":
                    if re.fullmatch(r"w\d+", cols[2]) and int(cols[2][1:]) < written:
                        seen[int(cols[2][1:])] += int(cols[3])
                    elif cols[2] not in ("sink", "z"):
                        garbled += 1
            garbled += sum("malformed" in l for _, l in self.err)
        return sum(c == 0 for c in seen), sum(c > 1 for c in seen), garbled


def copytrunc20(kind, d):
    log = d + "/conn.log"
    append(log, "")
    f = Follower(kind, log)
    for r in range(20):
        append(log, recs(r * 100, r * 100 + 100))
        time.sleep(0.020)
        shutil.copyfile(log, log + ".1")
        os.truncate(log, 0)
    return f.counts(2000, log)


def truncgrow(kind, d):
    log = d + "/conn.log"
    append(log, "")
    f = Follower(kind, log)
    n = 0
    for _ in range(10):
        append(log, recs(n, n + 1000)); n += 1000
        time.sleep(0.1)
        os.truncate(log, 0)
        append(log, recs(n, n + 1500)); n += 1500
        time.sleep(0.1)
    return f.counts(n, log)


def midline(kind, d):
    log = d + "/conn.log"
    append(log, recs(0, 10))
    f = Follower(kind, log)
    w = open(log, "a")
    line = rec(10)
    w.write(line[:-4]); w.flush()
    os.rename(log, log + ".1")
    append(log, recs(11, 20))
    time.sleep(1)
    w.write(line[-4:] + recs(20, 30)); w.flush()
    return f.counts(30, log)


def latewriter(kind, d):
    log = d + "/conn.log"
    append(log, recs(0, 1000))
    f = Follower(kind, log)
    w = open(log, "a")
    os.rename(log, log + ".1")
    append(log, "")  # logrotate's `create`
    n, t = 1000, time.time()
    while time.time() - t < 1.0:
        w.write(recs(n, n + 100)); w.flush(); n += 100
        time.sleep(0.05)
    append(log, recs(n, n + 100)); n += 100
    return f.counts(n, log)


def latency(kind, d, rounds=30):
    log = d + "/conn.log"
    append(log, f"{H} a sink\n")
    f = Follower(kind, log)
    f.wait_lines(1 if kind == "gnu" else 0, 2)
    lat = []
    for k in range(1, rounds + 1):
        before = len(f.lines)
        t = time.perf_counter()
        append(log, f"{H + k * 3600 + 1} a sink\n")
        if not f.wait_lines(before + 1, 5):
            lat.append(float("inf"))
            continue
        lat.append((f.lines[before][0] - t) * 1000)
        time.sleep(0.05)
    f.stop()
    lat.sort()
    return f"median {statistics.median(lat):.2f} ms, max {lat[-1]:.2f} ms ({rounds} writes)"


def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fifo(kind, d):
    log = d + "/conn.log"
    append(log, f"{H} a sink\n")
    f = Follower(kind, log)
    os.remove(log)
    os.mkfifo(log)
    time.sleep(1)
    alive = f.p.poll() is None
    os.remove(log)
    append(log, f"{H + 1} b sink\n{H + 7300} z z\n")
    time.sleep(1)
    picked = any(("b sink" in l) or ("\tb" in l) for _, l in f.lines)
    status, took = f.stop() if f.p.poll() is None else (f.p.returncode, 0)
    err = " | ".join(l for _, l in f.err)
    return (f"alive after FIFO: {alive}; new regular file read: {picked}; "
            f"exit {status} {'' if took is None else f'{took * 1000:.0f} ms after one SIGTERM'}; "
            f"stderr: {err[:200]}")


def devzero(kind, d):
    log = d + "/conn.log"
    append(log, f"{H} a sink\n")
    f = Follower(kind, log)
    os.remove(log)
    os.symlink("/dev/zero", log)
    time.sleep(0.5)
    if f.p.poll() is not None:
        return f"exited {f.p.returncode}; stderr: {' | '.join(l for _, l in f.err)[:200]}"
    c0 = cpu(f.p.pid)
    time.sleep(2)
    used = cpu(f.p.pid) - c0
    status, took = f.stop(signal.SIGINT)
    err = " | ".join(l for _, l in f.err)
    return (f"CPU {used / 2 * 100:.0f}% of a core over 2 s; exit {status} "
            f"{'(killed: one SIGINT ignored)' if took is None else f'{took * 1000:.0f} ms after one SIGINT'}; "
            f"stderr: {err[:200]}")


CASES = dict(copytrunc20=copytrunc20, truncgrow=truncgrow, midline=midline,
             latewriter=latewriter, latency=latency, fifo=fifo, devzero=devzero)

if __name__ == "__main__":
    kind = sys.argv[1]
    for name in sys.argv[2:] or CASES:
        with tempfile.TemporaryDirectory() as d:
            r = CASES[name](kind, d)
            if isinstance(r, tuple):
                r = "lost %d, doubled %d, garbled %d" % r
            print(f"{kind:8} {name:12} {r}", flush=True)
