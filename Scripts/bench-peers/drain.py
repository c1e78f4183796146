# Scripts/bench's `peers` section: times worker processes draining a queue of no-op jobs that is
# already filled, from the workers' start (start-up included) to the end condition, and prints
# "JOBS SECONDS" (or an error on stderr and exit 1). Run with the bench's virtualenv python.
#
#   drain.py --url URL --jobs N --copies K --done exit|empty:LIST|count --count 'CMD' -- WORKER ARGS...
#
#   --done exit        the workers exit by themselves (burst mode: drover, rq)
#   --done empty:LIST  the list LIST is empty (the workers keep no more than a few jobs in hand:
#                      sidekiq fetches one per thread)
#   --done count       the --count command returns at least N (a counter the jobs increment)
#   --count 'CMD'      a Redis command whose integer reply is the number of jobs done; after the
#                      end condition, the workers get TERM and exit (finishing their jobs in hand),
#                      and this must then have grown by N, or the figure is refused
# Every wait has a deadline (--timeout seconds): a worker that hangs is killed, never waited on.
# Each worker runs in its own process group, so killing it takes its pool processes along.
import argparse, os, shlex, signal, subprocess, sys, time
import redis

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--jobs", type=int, required=True)
parser.add_argument("--copies", type=int, default=1)
parser.add_argument("--done", required=True)
parser.add_argument("--count", required=True)
parser.add_argument("--timeout", type=float, default=300)
parser.add_argument("--poll", type=float, default=0.005)
parser.add_argument("--log", default="/dev/null")
parser.add_argument("command", nargs=argparse.REMAINDER)
opts = parser.parse_args()
command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command

r = redis.Redis.from_url(opts.url)
def read_count():
    return int(r.execute_command(*shlex.split(opts.count)) or 0)
baseline = read_count()  # a counter left by an earlier run on the same server
def done_count():
    return read_count() - baseline

def kill_groups(workers):
    for w in workers:
        try:
            os.killpg(w.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for w in workers:
        w.wait()

def fail(message, workers):
    kill_groups(workers)
    print(f"{message} ({done_count()} of {opts.jobs} jobs done)", file=sys.stderr)
    sys.exit(1)

log = open(opts.log, "ab")
start = time.monotonic()
deadline = start + opts.timeout
workers = [subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
           for _ in range(opts.copies)]

def interrupted(signum, frame):  # the bench was stopped: take the workers along
    kill_groups(workers)
    sys.exit(128 + signum)

signal.signal(signal.SIGINT, interrupted)
signal.signal(signal.SIGTERM, interrupted)
while True:
    now = time.monotonic()
    if opts.done == "exit":
        if all(w.poll() is not None for w in workers):
            break
    elif opts.done.startswith("empty:"):
        if r.llen(opts.done[6:]) == 0:
            break
    elif opts.done == "count":
        if done_count() >= opts.jobs:
            break
    else:
        fail(f"unknown --done {opts.done}", workers)
    if any(w.poll() not in (None, 0) for w in workers):
        fail(f"a worker exited with status {[w.poll() for w in workers]} (log: {opts.log})", workers)
    if now > deadline:
        fail(f"the workers did not drain the queue within {opts.timeout:.0f} s", workers)
    time.sleep(opts.poll if opts.done != "exit" else 0.001)
end = time.monotonic()

# Stop the workers that keep running (warm: they finish the jobs in hand), bounded.
for w in workers:
    if w.poll() is None:
        w.send_signal(signal.SIGTERM)
stop_deadline = time.monotonic() + 30
for w in workers:
    try:
        w.wait(timeout=max(0.0, stop_deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("a worker did not exit within 30 s of TERM", workers)
kill_groups(workers)  # any process a worker left behind
count = done_count()
if count < opts.jobs:
    print(f"only {count} of {opts.jobs} jobs were done (log: {opts.log})", file=sys.stderr)
    sys.exit(1)
print(opts.jobs, f"{end - start:.4f}")
