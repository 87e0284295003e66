#!/usr/bin/env bash
# Soak test of `connspy-stream --tail` (not in CI): a writer appends unique
# records at RATE lines/s for DURATION seconds while the log is rotated
# every ROTATE_EVERY seconds (real `logrotate -f` with compress +
# delaycompress when installed, else mv + a new file), then reports lost
# and duplicated records (from the --emit-counts rows), peak RSS and CPU.
#
#   bench/soak-tail.sh [DURATION=600] [RATE=10000] [ROTATE_EVERY=5] [MODE=create|copytruncate]
#   BIN=target/release/connspy-stream (default)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-600} RATE=${2:-10000} ROTATE_EVERY=${3:-5} MODE=${4:-create}
BIN=${BIN:-target/release/connspy-stream}
[ -x "$BIN" ] || cargo build --release --bin connspy-stream
export DURATION RATE ROTATE_EVERY MODE BIN
exec python3 - <<'PY'
import os, shutil, subprocess, tempfile, threading, time
D, RATE, EVERY, MODE, BIN = (float(os.environ["DURATION"]), int(os.environ["RATE"]),
                             float(os.environ["ROTATE_EVERY"]), os.environ["MODE"], os.environ["BIN"])
H = 1565658000
d = tempfile.mkdtemp(prefix="soak-tail.")
log = f"{d}/conn.log"
open(log, "w").close()
lr = shutil.which("logrotate") or next((p for p in ("/usr/sbin/logrotate", "/sbin/logrotate") if os.path.exists(p)), None)
with open(f"{d}/lr.conf", "w") as f:
    f.write(f"{log} {{\n rotate 1000\n compress\n delaycompress\n missingok\n {MODE}\n}}\n")
out = open(f"{d}/out.tsv", "w")
err = open(f"{d}/err.txt", "w")
p = subprocess.Popen([BIN, "--to", "sink", "--from", "a", "--max_log_late_seconds", "60",
                      "--tail", "--emit-counts", log], stdout=out, stderr=err)
time.sleep(0.5)

def cpu_rss(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return cpu, int(status["VmHWM"].split()[0]) // 1024, int(status["VmRSS"].split()[0]) // 1024

written = 0
done = threading.Event()
def writer():
    global written
    f = open(log, "a"); ino = os.fstat(f.fileno()).st_ino
    t0 = time.time(); batch_every = 0.01
    while time.time() - t0 < D:
        try:
            if os.stat(log).st_ino != ino:
                f.close(); f = open(log, "a"); ino = os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            pass
        target = int((time.time() - t0) * RATE)
        if target > written:
            # 10 records per second of log time: hours close as it runs.
            f.write("".join(f"{H + n // 10} w{n} sink\n" for n in range(written, target)))
            f.flush()
            written = target
        time.sleep(batch_every)
    f.close(); done.set()

rotations = 0
def rotator():
    global rotations
    while not done.wait(EVERY):
        if lr:
            subprocess.run([lr, "-f", "-s", f"{d}/lr.state", f"{d}/lr.conf"], check=True)
        else:
            os.rename(log, f"{log}.{rotations}")
            open(log, "a").close()
        rotations += 1

t0 = time.time(); c0, _, _ = cpu_rss(p.pid)
w = threading.Thread(target=writer); r = threading.Thread(target=rotator)
w.start(); r.start(); w.join(); r.join()
time.sleep(2)
cpu, hwm, rss = cpu_rss(p.pid)
wall = time.time() - t0
with open(log, "a") as f:
    f.write(f"{H + written // 10 + 7300} z z\n")
time.sleep(2)
p.terminate(); p.wait()
out.close()
seen = bytearray(written)
over = 0
for line in open(f"{d}/out.tsv"):
    c = line.rstrip("\n").split("\t")
    if len(c) == 4 and c[1] == "COUNT" and c[2].startswith("w"):
        n = int(c[2][1:]); k = int(c[3])
        if seen[n] + k > 255: over += 1
        else: seen[n] += k
lost = seen.count(0); dup = sum(1 for x in seen if x > 1)
print(f"mode={MODE} logrotate={'yes' if lr else 'no (mv + new file)'} duration={D:.0f}s rate={RATE}/s "
      f"rotate_every={EVERY}s rotations={rotations}")
print(f"written={written} lost={lost} duplicated={dup}")
print(f"connspy-stream: cpu={cpu - c0:.1f}s over {wall:.0f}s ({(cpu - c0) / wall * 100:.1f}% of a core) "
      f"peak_rss={hwm}MiB rss_at_end={rss}MiB")
print(f"stderr lines: {sum(1 for _ in open(f'{d}/err.txt'))} (kept in {d})")
PY
