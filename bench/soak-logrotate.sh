#!/usr/bin/env bash
# Soak of `connspy-stream --tail` beside GNU `tail -F` (not in CI): real
# logrotate, its mode changing at every rotation (create, copytruncate,
# each also with compress and with dateext), and a writer whose writes are
# cut at random bytes, so that lines are often unfinished when the log is
# read, rotated or truncated. At the end it compares what each follower saw
# with the lines that exist whole on disk (the archives, decompressed, and
# the live log) and checks, for connspy-stream, that:
#   - no line that exists whole on disk was lost,
#   - no record was counted twice, under a wrong host or in a wrong window,
#   - nothing was dropped as too late (--stats too_late=0).
# It exits 1 when one of those fails (after printing the figures).
#
#   DURATION=600 RATE=5000 ROTATE_EVERY=2.5 bench/soak-logrotate.sh
#   BIN=target/release/connspy-stream (default)  KEEP=1: keep the temporary directory
#   MODES: the logrotate options of each rotation in turn, comma-separated
#     (default: create,copytruncate,create compress,create dateext,
#      copytruncate compress,copytruncate dateext compress)
#
# Records are `TS w<n> sink` with TS in milliseconds (13 digits), 10 records
# per second of log time, so hours close as it runs (an hour every 7.2 s at
# 5,000 lines/s). The writer appends from one descriptor; it reopens the
# path when it names another file (checked before each write), after
# finishing the line it is in (as a daemon flushes whole lines before it
# reopens its log); under copytruncate it never reopens, so a truncation
# can cut a line in two.
set -euo pipefail
cd "$(dirname "$0")/.."
export DURATION=${DURATION:-600} RATE=${RATE:-5000} ROTATE_EVERY=${ROTATE_EVERY:-2.5}
export BIN=${BIN:-target/release/connspy-stream} KEEP=${KEEP:-}
export MODES=${MODES:-create,copytruncate,create compress,create dateext,copytruncate compress,copytruncate dateext compress}
[ -x "$BIN" ] || cargo build --release --bin connspy-stream
LOGROTATE=$(command -v logrotate || ls /usr/sbin/logrotate /sbin/logrotate 2>/dev/null | head -1 || true)
[ -n "$LOGROTATE" ] || { echo "soak-logrotate: logrotate is not installed (apt-get install logrotate)" >&2; exit 2; }
export LOGROTATE
exec python3 - <<'PY'
import array, bisect, glob, gzip, os, random, re, shutil, signal, subprocess, sys, tempfile, threading, time

D, RATE, EVERY = float(os.environ["DURATION"]), int(os.environ["RATE"]), float(os.environ["ROTATE_EVERY"])
BIN, LR = os.environ["BIN"], os.environ["LOGROTATE"]
H_MS = 1565658000 * 1000
MODES = [m.strip() for m in os.environ["MODES"].split(",")]

d = tempfile.mkdtemp(prefix="soak-logrotate.")
log, archive = f"{d}/conn.log", f"{d}/archive"
os.mkdir(archive)
open(log, "w").close()
confs = []
for i, mode in enumerate(MODES):
    conf = f"{d}/lr{i}.conf"
    opts = "\n ".join(mode.split())
    with open(conf, "w") as f:
        f.write(f"{log} {{\n rotate 100000\n missingok\n dateformat -%s\n {opts}\n}}\n")
    confs.append(conf)

def line(n):
    return f"{H_MS + n * 100} w{n} sink\n"

def ts_hour(n):
    return (H_MS + n * 100) // 1000 // 3600 * 3600

ours = subprocess.Popen([BIN, "--to", "sink", "--from", "w0", "--tail", "--emit-counts",
                         "--stats", log], stdout=open(f"{d}/ours.out", "w"), stderr=open(f"{d}/ours.err", "w"))
gnu = subprocess.Popen(["tail", "-F", "-n", "+1", log], stdout=open(f"{d}/gnu.out", "w"),
                       stderr=open(f"{d}/gnu.err", "w"))
time.sleep(0.5)

def cpu_rss(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return cpu, int(status["VmHWM"].split()[0]) // 1024

written = 0           # lines whose last byte has been written
done_at = array.array("d")  # when each line's last byte was written
stop = threading.Event()
rng = random.Random(1)

def writer():
    global written
    f = open(log, "ab", buffering=0); ino = os.fstat(f.fileno()).st_ino
    pending = b""     # bytes generated, not yet written
    made = 0          # lines generated
    mid_line = False  # the last write ended inside a line
    t0 = time.time()
    def put(data):
        global written
        nonlocal mid_line
        f.write(data)
        mid_line = not data.endswith(b"\n")
        now = time.time()
        ends = data.count(b"\n")
        done_at.extend([now] * ends)
        written += ends
    while not stop.is_set():
        try:
            if os.stat(log).st_ino != ino:
                # Rotated (create): finish the line in the old file, then reopen.
                if mid_line:
                    cut = pending.find(b"\n") + 1
                    put(pending[:cut]); pending = pending[cut:]
                f.close(); f = open(log, "ab", buffering=0); ino = os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            pass
        target = int((time.time() - t0) * RATE)
        if target > made:
            pending += "".join(line(n) for n in range(made, target)).encode()
            made = target
        if pending:
            # A write cut at a random byte, often inside a line.
            k = rng.randint(1, len(pending))
            put(pending[:k]); pending = pending[k:]
        time.sleep(rng.uniform(0.001, 0.01))
    if pending:
        put(pending)
    f.close()

rotations = []        # (mode, started, ended)
def rotator():
    i = 0
    while not stop.wait(EVERY):
        mode = MODES[i % len(MODES)]
        started = time.time()
        subprocess.run([LR, "-f", "-s", f"{d}/lr.state", confs[i % len(MODES)]], check=True)
        rotations.append((mode, started, time.time()))
        # Archives out of logrotate's way, so that no later rotation (of
        # another mode) renames, compresses or deletes them.
        for p in glob.glob(f"{log}?*"):
            os.rename(p, f"{archive}/{i:05d}-{os.path.basename(p)}")
        i += 1

t0 = time.time(); c0, _ = cpu_rss(ours.pid)
w = threading.Thread(target=writer); r = threading.Thread(target=rotator)
w.start(); r.start()
time.sleep(D); stop.set(); w.join(); r.join()
time.sleep(2)
cpu, hwm = cpu_rss(ours.pid)
wall = time.time() - t0
# Close the last hours, then stop both followers.
with open(log, "a") as f:
    f.write(f"{H_MS + written * 100 + 7300 * 1000} z z\n")
time.sleep(3)
ours.send_signal(signal.SIGTERM); gnu.send_signal(signal.SIGTERM)
ours_status, gnu_status = ours.wait(), gnu.wait()

# What exists whole on disk: every archive (decompressed) and the live log.
REC = re.compile(rb"^(\d+) w(\d+) sink$")
on_disk = bytearray(written)
def whole_lines(data):
    for l in data.split(b"\n")[:-1]:
        m = REC.match(l)
        if m and int(m[2]) < written and l + b"\n" == line(int(m[2])).encode():
            on_disk[int(m[2])] = 1
for p in sorted(glob.glob(f"{archive}/*")) + [log]:
    with open(p, "rb") as f:
        data = f.read()
    whole_lines(gzip.decompress(data) if p.endswith(".gz") else data)

# What connspy-stream counted: the COUNT rows of every window.
ours_seen = bytearray(written); ours_twice = 0; wrong = []
for row in open(f"{d}/ours.out", encoding="utf-8", errors="replace"):
    c = row.rstrip("\n").split("\t")
    if len(c) != 4 or c[1] != "COUNT" or c[2] in ("sink", "z"):
        continue
    m = re.fullmatch(r"w(\d+)", c[2])
    n = int(m[1]) if m else -1
    if not m or n >= written or int(float(c[0])) != ts_hour(n):
        wrong.append(row.rstrip("\n"))
        continue
    if ours_seen[n] + int(c[3]) > 1:
        ours_twice += 1
    ours_seen[n] = min(255, ours_seen[n] + int(c[3]))
stats = next((l for l in open(f"{d}/ours.err") if "stats:" in l), "")
field = lambda k: int(re.search(rf"{k}=(\d+)", stats)[1]) if stats else -1

# What GNU tail printed: each line whole, or garbled.
gnu_seen = bytearray(written); gnu_twice = 0; garbled = 0
with open(f"{d}/gnu.out", "rb") as f:
    for l in f:
        m = REC.match(l.rstrip(b"\n"))
        if m and int(m[2]) < written and l == line(int(m[2])).encode():
            n = int(m[2]); gnu_twice += gnu_seen[n] > 0; gnu_seen[n] = 1
        elif not l.rstrip(b"\n").endswith(b" z z"):
            garbled += 1

def lost(seen):
    return [n for n in range(written) if on_disk[n] and not seen[n]]

truncations = sorted((s - 0.05, e) for m, s, e in rotations if "copytruncate" in m)
def near_copytruncate(n):
    """Written just before a copytruncate rotation ended (within 50 ms of
    its start, or during it): copied away before the follower could read it."""
    i = bisect.bisect_right(truncations, (done_at[n], float("inf"))) - 1
    return i >= 0 and truncations[i][0] <= done_at[n] <= truncations[i][1]

ours_lost, gnu_lost = lost(ours_seen), lost(gnu_seen)
not_whole = [n for n in range(written) if not on_disk[n]]
print(f"soak-logrotate: duration={D:.0f}s rate={RATE}/s rotate_every={EVERY}s "
      f"rotations={len(rotations)} ({', '.join(f'{m}: {sum(1 for r in rotations if r[0] == m)}' for m in MODES)})")
print(f"lines written={written} whole on disk={written - len(not_whole)} "
      f"not whole on disk={len(not_whole)} (cut in two by a truncation, or written to neither file)")
print(f"{'':16} {'lost':>6} {'near copytrunc':>14} {'twice':>6} {'not whole, seen':>15} {'wrong/garbled':>13} {'too_late':>8}")
print(f"{'connspy-stream':16} {len(ours_lost):>6} {sum(map(near_copytruncate, ours_lost)):>14} {ours_twice:>6} "
      f"{sum(1 for n in not_whole if ours_seen[n]):>15} {len(wrong) + max(field('malformed'), 0):>13} {field('too_late'):>8}")
print(f"{'GNU tail -F':16} {len(gnu_lost):>6} {sum(map(near_copytruncate, gnu_lost)):>14} {gnu_twice:>6} "
      f"{sum(1 for n in not_whole if gnu_seen[n]):>15} {garbled:>13} {'-':>8}")
print(f"connspy-stream: exit={ours_status} malformed={field('malformed')} cpu={cpu - c0:.1f}s over {wall:.0f}s "
      f"({(cpu - c0) / wall * 100:.1f}% of a core) peak_rss={hwm}MiB")
print(f"  (wrong/garbled: connspy-stream's records under a wrong host or window, plus its malformed lines;"
      f" GNU tail's output lines that are not a written line)")
for row in wrong[:5]:
    print(f"  wrong: {row}")
# A garbled line's far-future time taken as the newest time makes every
# later record too late: say so, with the time it was moved to.
latest = [float(x) for x in re.findall(r"latest time seen: ([0-9.]+)\)", open(f"{d}/ours.err").read())]
newest_written = (H_MS + written * 100) / 1000 + 7300
if latest and max(latest) > newest_written + 3600:
    print(f"  poisoned clock: a garbled line moved the newest time to {max(latest):.1f} s "
          f"(the newest written is {newest_written:.0f} s); records after it were dropped as too late")
ok = not ours_lost and not ours_twice and not wrong and field("too_late") == 0
print("PASS" if ok else "FAIL", f"(files in {d})" if os.environ.get("KEEP") or not ok else "")
if not os.environ.get("KEEP") and ok:
    shutil.rmtree(d)
sys.exit(0 if ok else 1)
PY
