"""kazoo (the Python ZooKeeper client, from PyPI) against a server at argv[1] (host:port).

Driven by zk-server/tests/interop.rs, which starts our server and asserts this script's exit
status and its "OK <step>" lines. Every step asserts what a real application relies on; the
first failure raises, prints a traceback and exits non-zero.
"""

import sys
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.protocol.states import EventType
from kazoo.security import make_digest_acl

HOSTS = sys.argv[1]
WAIT = 10.0


def client(**kwargs):
    zk = KazooClient(hosts=HOSTS, timeout=kwargs.pop("timeout", 10.0), **kwargs)
    zk.start(timeout=WAIT)
    return zk


def step(name):
    print("OK " + name, flush=True)


def wait_for(what, predicate):
    deadline = time.time() + WAIT
    while not predicate():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def crud(zk):
    path = zk.create("/kz/crud", b"v0", makepath=True)
    assert path == "/kz/crud", path
    data, stat = zk.get("/kz/crud")
    assert (data, stat.version) == (b"v0", 0), (data, stat)
    stat = zk.set("/kz/crud", b"v1", version=0)
    assert stat.version == 1
    try:
        zk.set("/kz/crud", b"v2", version=0)
        raise AssertionError("stale version accepted")
    except BadVersionError:
        pass
    try:
        zk.create("/kz/crud", b"again")
        raise AssertionError("duplicate create accepted")
    except NodeExistsError:
        pass
    zk.create("/kz/crud/child", b"")
    try:
        zk.delete("/kz/crud")
        raise AssertionError("deleted a node with children")
    except NotEmptyError:
        pass
    assert zk.get_children("/kz/crud") == ["child"]
    zk.delete("/kz/crud", recursive=True)
    assert zk.exists("/kz/crud") is None
    try:
        zk.get("/kz/crud")
        raise AssertionError("read a deleted node")
    except NoNodeError:
        pass
    zk.ensure_path("/kz/a/b/c")
    assert zk.exists("/kz/a/b/c") is not None
    zk.sync("/kz")
    step("crud")


def sequential_and_ephemeral(zk):
    first = zk.create("/kz/seq/item-", b"", sequence=True, makepath=True)
    second = zk.create("/kz/seq/item-", b"", sequence=True, ephemeral=True)
    assert first == "/kz/seq/item-0000000000", first
    assert second == "/kz/seq/item-0000000001", second
    _, stat = zk.get(second)
    assert stat.ephemeralOwner == zk.client_id[0], (stat, zk.client_id)
    other = client()
    other.create("/kz/seq/theirs", b"", ephemeral=True)
    other.stop()
    other.close()
    assert sorted(zk.get_children("/kz/seq")) == ["item-0000000000", "item-0000000001"]
    step("sequential_and_ephemeral")


def session_expiry(zk):
    victim = client(timeout=2.0)
    states = []
    victim.add_listener(states.append)
    victim.create("/kz/expiring", b"", ephemeral=True, makepath=True)
    gone = threading.Event()

    def on_event(event):
        if event.type == EventType.DELETED:
            gone.set()

    assert zk.exists("/kz/expiring", watch=on_event) is not None
    # Expire the victim's session the way kazoo's own test suite does: another connection
    # takes the session over (with its id and password) and closes it.
    session_id, password = victim.client_id
    thief = KazooClient(hosts=HOSTS, client_id=(session_id, password))
    thief.start(timeout=WAIT)
    thief.stop()
    thief.close()
    assert gone.wait(WAIT), "the ephemeral of the closed session was not deleted"
    wait_for("the victim to notice its session is lost", lambda: KazooState.LOST in states)
    victim.stop()
    victim.close()
    assert zk.exists("/kz/expiring") is None
    step("session_expiry")


def watches(zk):
    zk.create("/kz/w", b"0", makepath=True)
    events = []
    zk.get("/kz/w", watch=events.append)
    zk.set("/kz/w", b"1")
    wait_for("a one-shot data watch", lambda: len(events) == 1)
    zk.set("/kz/w", b"2")
    time.sleep(0.2)
    assert len(events) == 1, "a one-shot watch fired twice"
    assert (events[0].type, events[0].path) == (EventType.CHANGED, "/kz/w")

    kid_events = []
    zk.get_children("/kz/w", watch=kid_events.append)
    zk.create("/kz/w/kid", b"")
    wait_for("a child watch", lambda: len(kid_events) == 1)
    assert kid_events[0].type == EventType.CHILD

    if hasattr(zk, "add_watch"):
        from kazoo.protocol.states import AddWatchMode

        seen = []
        zk.add_watch("/kz/w", seen.append, AddWatchMode.PERSISTENT_RECURSIVE)
        zk.set("/kz/w", b"3")
        zk.create("/kz/w/kid2", b"")
        wait_for("persistent recursive events", lambda: len(seen) >= 2)
        step("persistent_watches")
    else:
        # kazoo without addWatch: DataWatch and ChildrenWatch re-arm one-shot watches, which
        # is how kazoo users get persistent notifications.
        datas, kids = [], []
        zk.DataWatch("/kz/w", lambda data, stat: datas.append(data))
        zk.ChildrenWatch("/kz/w", lambda children: kids.append(sorted(children)))
        for value in (b"a", b"b", b"c"):
            zk.set("/kz/w", value)
            wait_for("DataWatch to see " + value.decode(), lambda v=value: datas[-1:] == [v])
        zk.create("/kz/w/kid2", b"")
        wait_for("ChildrenWatch", lambda: kids[-1:] == [["kid", "kid2"]])
        zk.delete("/kz/w/kid")
        wait_for("ChildrenWatch after a delete", lambda: kids[-1:] == [["kid2"]])
        step("data_and_children_watch_recipes")
    step("watches")


def transactions(zk):
    zk.create("/kz/tx", b"", makepath=True)
    t = zk.transaction()
    t.check("/kz/tx", 0)
    t.create("/kz/tx/a", b"1")
    t.set_data("/kz/tx", b"x")
    t.create("/kz/tx/b", b"2")
    t.delete("/kz/tx/b")
    results = t.commit()
    assert results[0] is True and results[1] == "/kz/tx/a", results
    assert results[3] == "/kz/tx/b" and results[4] is True, results
    assert zk.get("/kz/tx")[0] == b"x"

    t = zk.transaction()
    t.create("/kz/tx/c", b"")
    t.check("/kz/tx", 99)
    t.delete("/kz/tx/a")
    results = t.commit()
    assert isinstance(results[0], RolledBackError), results
    assert isinstance(results[1], BadVersionError), results
    assert zk.exists("/kz/tx/c") is None and zk.exists("/kz/tx/a") is not None
    step("transactions")


def acls(zk):
    acl = make_digest_acl("alice", "secret", all=True)
    owner = client(auth_data=[("digest", "alice:secret")])
    owner.create("/kz/private", b"hidden", acl=[acl], makepath=True)
    assert owner.get("/kz/private")[0] == b"hidden"
    acls_, _ = owner.get_acls("/kz/private")
    assert acls_[0].id.scheme == "digest" and acls_[0].id.id.startswith("alice:"), acls_
    try:
        zk.get("/kz/private")
        raise AssertionError("read without auth")
    except NoAuthError:
        pass
    stranger = client()
    stranger.add_auth("digest", "alice:secret")
    assert stranger.get("/kz/private")[0] == b"hidden"
    stranger.set_acls("/kz/private", [make_digest_acl("alice", "secret", read=True)])
    try:
        owner.set("/kz/private", b"x")
        raise AssertionError("write after the ACL was narrowed")
    except NoAuthError:
        pass
    stranger.stop()
    stranger.close()
    owner.stop()
    owner.close()
    step("acls")


def recipes(zk):
    lock_a = zk.Lock("/kz/lock", "a")
    other = client()
    lock_b = other.Lock("/kz/lock", "b")
    assert lock_a.acquire(timeout=WAIT)
    assert not lock_b.acquire(blocking=False)
    acquired = threading.Event()

    def contender():
        if lock_b.acquire(timeout=WAIT):
            acquired.set()

    thread = threading.Thread(target=contender)
    thread.start()
    time.sleep(0.1)
    assert not acquired.is_set()
    lock_a.release()
    assert acquired.wait(WAIT), "the waiting contender did not get the lock"
    thread.join()
    lock_b.release()

    counter = zk.Counter("/kz/counter")
    counter += 5
    counter -= 2
    assert counter.value == 3

    queue = zk.Queue("/kz/queue")
    for item in (b"1", b"2", b"3"):
        queue.put(item)
    assert [queue.get() for _ in range(3)] == [b"1", b"2", b"3"]
    other.stop()
    other.close()
    step("recipes")


def main():
    zk = client()
    crud(zk)
    sequential_and_ephemeral(zk)
    session_expiry(zk)
    watches(zk)
    transactions(zk)
    acls(zk)
    recipes(zk)
    zk.stop()
    zk.close()
    print("ALL OK", flush=True)


if __name__ == "__main__":
    main()
