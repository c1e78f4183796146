# Scripts/bench's `peers` section, RQ's side: the no-op job, and (run as a script) its bulk
# enqueue: `python rq_noop.py URL QUEUE N` (Queue.enqueue_many, pipelined in chunks of 1,000).
import sys


def noop():
    pass


if __name__ == "__main__":
    from redis import Redis
    from rq import Queue

    url, queue_name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    queue = Queue(queue_name, connection=Redis.from_url(url))
    done = 0
    while done < count:
        chunk = min(1000, count - done)
        with queue.connection.pipeline() as pipe:
            queue.enqueue_many([Queue.prepare_data("rq_noop.noop") for _ in range(chunk)], pipeline=pipe)
            pipe.execute()
        done += chunk
