# Scripts/bench's `peers` section, Celery's side: the no-op task (it increments a counter, the
# bench's only way to see when the last task has run: the result backend is off, Celery's
# default), and (run as a script) its enqueue: `python celery_noop.py QUEUE N`, one producer
# connection. The broker is BENCH_CELERY_BROKER (redis+socket:///PATH or redis://127.0.0.1...).
import os
import sys

import redis
from celery import Celery

app = Celery("celery_noop", broker=os.environ["BENCH_CELERY_BROKER"])
app.conf.update(result_backend=None, task_ignore_result=True, worker_hijack_root_logger=False)
COUNTER = "bench-peers:celery:done"
_counter = None


@app.task(name="celery_noop.noop")
def noop():
    global _counter
    if _counter is None:  # one connection per pool process, opened after the fork
        _counter = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    _counter.incr(COUNTER)


if __name__ == "__main__":
    queue_name, count = sys.argv[1], int(sys.argv[2])
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            noop.apply_async(queue=queue_name, producer=producer)
