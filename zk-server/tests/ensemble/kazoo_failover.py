"""kazoo (the Python ZooKeeper client, from PyPI) writing through a leader failover.

Usage: kazoo_failover.py HOSTS COUNT SESSION_TIMEOUT_S

Driven by zk-server/tests/ensemble.rs. Connected to every node of the ensemble (HOSTS is
"host:port,host:port,..."), the script creates COUNT uniquely named znodes under
/kazoo-failover, printing "ACK <path>" for each one the ensemble acknowledged. Halfway it
prints "MIDWAY" and keeps writing; the test then SIGKILLs the leader and writes "killed" on
the script's stdin. The script writes at least 50 more znodes after that line (so some writes
cross the failover and some follow it), then syncs and checks that every acknowledged znode
exists, printing "VERIFIED <n>" and finally "ALL OK". Any failure raises and exits non-zero.

Creates are retried on connection loss and session expiry with kazoo's KazooRetry. A retried
create may have been applied by the attempt whose reply was lost; names are unique, so
NodeExists on a retry means exactly that, and counts as acknowledged.
"""

import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry

HOSTS = sys.argv[1]
COUNT = int(sys.argv[2])
SESSION_TIMEOUT = float(sys.argv[3])
ROOT = "/kazoo-failover"
AFTER_KILL = 50

killed = threading.Event()
retries = [0]


def wait_for_kill_notice():
    line = sys.stdin.readline()
    if line.strip() == "killed":
        killed.set()


def create_acknowledged(zk, retry, path):
    attempts = [0]

    def attempt():
        attempts[0] += 1
        try:
            zk.create(path, path.encode())
        except NodeExistsError:
            if attempts[0] == 1:
                raise

    retry(attempt)
    retries[0] += attempts[0] - 1
    print("ACK " + path, flush=True)


def main():
    zk = KazooClient(
        hosts=HOSTS,
        timeout=SESSION_TIMEOUT,
        connection_retry=dict(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5),
    )
    zk.start(timeout=20)
    retry = KazooRetry(
        max_tries=-1,
        delay=0.05,
        backoff=1.5,
        max_delay=0.5,
        deadline=30,
        ignore_expire=True,
    )
    retry(zk.ensure_path, ROOT)
    threading.Thread(target=wait_for_kill_notice, daemon=True).start()

    acked = []
    n = 0
    after_kill = 0
    deadline = time.time() + 60
    while n < COUNT or after_kill < AFTER_KILL:
        if time.time() > deadline:
            raise AssertionError(
                "not done after 60 s: %d written, killed=%s" % (n, killed.is_set())
            )
        if n == COUNT // 2:
            print("MIDWAY", flush=True)
        path = "%s/k-%06d" % (ROOT, n)
        was_killed = killed.is_set()
        create_acknowledged(zk, retry, path)
        acked.append(path)
        if was_killed:
            after_kill += 1
        n += 1
    print("RETRIES %d" % retries[0], flush=True)

    retry(zk.sync, ROOT)
    children = set(retry(zk.get_children, ROOT))
    missing = [p for p in acked if p.rsplit("/", 1)[1] not in children]
    if missing:
        raise AssertionError(
            "%d of %d acknowledged znodes missing, e.g. %s" % (len(missing), len(acked), missing[:10])
        )
    for path in acked[:: max(1, len(acked) // 20)]:
        data, _ = retry(zk.get, path)
        assert data == path.encode(), (path, data)
    print("VERIFIED %d" % len(acked), flush=True)
    zk.stop()
    zk.close()
    print("ALL OK", flush=True)


if __name__ == "__main__":
    main()
