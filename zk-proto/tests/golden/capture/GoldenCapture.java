// Drives the official Apache ZooKeeper Java client through a fixed script so
// that zkproxy.py can record golden protocol frames.
//
//   javac -cp /usr/share/java/zookeeper.jar -d OUT GoldenCapture.java
//   java -cp OUT:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
//        GoldenCapture 127.0.0.1:<proxy-port>
//
// Every call is synchronous (the next request is only sent after the previous
// reply has arrived), so the frame sequence is fixed.  The only asynchronous
// calls (addAuthInfo, sync) are followed by an explicit wait.  Session timeout
// is 30000 ms, so the client sends no ping during the ~2 s run.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public class GoldenCapture {
    interface Step {
        Object run() throws Exception;
    }

    static int stepNo = 0;
    static final List<String> events = new ArrayList<>();

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void step(String label, Step s) throws InterruptedException {
        stepNo++;
        String outcome;
        try {
            Object r = s.run();
            outcome = "OK " + describe(r);
        } catch (KeeperException e) {
            outcome = "KeeperException " + e.code() + " (" + e.code().intValue() + ")";
            List<OpResult> rs = e.getResults();
            if (rs != null) {
                outcome += " results=" + describe(rs);
            }
        } catch (Exception e) {
            outcome = "EXCEPTION " + e;
        }
        System.out.println(String.format("STEP %02d %-60s -> %s", stepNo, label, outcome));
        System.out.flush();
        // Small gap so that every step's frames are clearly separated on the wire.
        Thread.sleep(50);
    }

    static String describe(Object r) {
        if (r == null) {
            return "null";
        }
        if (r instanceof byte[]) {
            return "'" + new String((byte[]) r, StandardCharsets.UTF_8) + "'";
        }
        if (r instanceof Stat) {
            return "Stat{" + r.toString().trim().replace("\n", " ") + "}";
        }
        if (r instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : (List<?>) r) {
                if (sb.length() > 1) {
                    sb.append(", ");
                }
                if (o instanceof OpResult.ErrorResult) {
                    sb.append("ErrorResult(" + ((OpResult.ErrorResult) o).getErr() + ")");
                } else if (o instanceof OpResult.GetDataResult) {
                    sb.append("GetDataResult(" + describe(((OpResult.GetDataResult) o).getData()) + ")");
                } else if (o instanceof OpResult.GetChildrenResult) {
                    sb.append("GetChildrenResult(" + ((OpResult.GetChildrenResult) o).getChildren() + ")");
                } else if (o instanceof OpResult) {
                    sb.append(o.getClass().getSimpleName());
                    if (o instanceof OpResult.CreateResult) {
                        sb.append("(" + ((OpResult.CreateResult) o).getPath() + ")");
                    }
                } else {
                    sb.append(String.valueOf(o));
                }
            }
            return sb.append("]").toString();
        }
        return String.valueOf(r);
    }

    public static void main(String[] args) throws Exception {
        String connect = args.length > 0 ? args[0] : "127.0.0.1:21811";
        CountDownLatch connected = new CountDownLatch(1);
        Watcher defaultWatcher = (WatchedEvent e) -> {
            synchronized (events) {
                events.add("default-watcher " + e);
            }
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected
                    && e.getType() == Watcher.Event.EventType.None) {
                connected.countDown();
            }
        };
        Watcher existsWatcher = (WatchedEvent e) -> {
            synchronized (events) {
                events.add("exists-watcher " + e);
            }
        };

        ZooKeeper zk = new ZooKeeper(connect, 30000, defaultWatcher);
        if (!connected.await(20, TimeUnit.SECONDS)) {
            throw new RuntimeException("could not connect to " + connect);
        }
        System.out.println(String.format("CONNECTED sessionId=0x%x negotiatedTimeout=%d",
                zk.getSessionId(), zk.getSessionTimeout()));

        final Stat st = new Stat();
        step("create /golden 'hello' PERSISTENT (op 1)",
                () -> zk.create("/golden", b("hello"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        step("create /golden/c2 'child-two' PERSISTENT with Stat (op 15)",
                () -> zk.create("/golden/c2", b("child-two"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st));
        step("create /golden/eph- 'e' EPHEMERAL_SEQUENTIAL",
                () -> zk.create("/golden/eph-", b("e"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));
        step("create /golden/null data=null PERSISTENT",
                () -> zk.create("/golden/null", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        step("create /golden 'dup' again -> NODEEXISTS",
                () -> zk.create("/golden", b("dup"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        step("exists /golden watch=false",
                () -> zk.exists("/golden", false));
        step("exists /missing watch=false -> NONODE (client returns null)",
                () -> zk.exists("/missing", false));
        step("getData /golden watch=true",
                () -> zk.getData("/golden", true, new Stat()));
        step("setData /golden 'world' -1 (fires NodeDataChanged)",
                () -> zk.setData("/golden", b("world"), -1));
        step("getData /golden/null (null data)",
                () -> zk.getData("/golden/null", false, null));
        step("getData /missing -> NONODE",
                () -> zk.getData("/missing", false, null));
        step("getChildren /golden watch=false (op 8)",
                () -> zk.getChildren("/golden", false));
        step("getChildren /golden watch=false with Stat (op 12)",
                () -> zk.getChildren("/golden", false, new Stat()));
        step("delete /golden/c2 version=5 -> BADVERSION",
                () -> { zk.delete("/golden/c2", 5); return "deleted"; });
        step("multi success [create m1, setData, check v2, delete m1]",
                () -> zk.multi(Arrays.asList(
                        Op.create("/golden/m1", b("m"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                        Op.setData("/golden", b("multi"), -1),
                        Op.check("/golden", 2),
                        Op.delete("/golden/m1", -1))));
        step("multi failure [create m2, delete /nonexistent, setData]",
                () -> zk.multi(Arrays.asList(
                        Op.create("/golden/m2", b("m2"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                        Op.delete("/nonexistent", -1),
                        Op.setData("/golden", b("never"), -1))));
        step("multiRead [getData /golden, getChildren /golden, getData /missing] (op 22)",
                () -> zk.multi(Arrays.asList(
                        Op.getData("/golden"),
                        Op.getChildren("/golden"),
                        Op.getData("/missing"))));
        step("sync /golden (op 9)", () -> {
            CountDownLatch l = new CountDownLatch(1);
            final int[] rc = {99};
            zk.sync("/golden", (int r, String path, Object ctx) -> {
                rc[0] = r;
                l.countDown();
            }, null);
            l.await(10, TimeUnit.SECONDS);
            return "rc=" + rc[0];
        });
        step("addAuthInfo digest user:pass (xid -4, op 100)", () -> {
            zk.addAuthInfo("digest", b("user:pass"));
            Thread.sleep(300); // no callback for auth success; let the reply arrive
            return "sent";
        });
        step("create /golden/acl 'secret' CREATOR_ALL_ACL",
                () -> zk.create("/golden/acl", b("secret"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        step("getACL /golden/acl",
                () -> zk.getACL("/golden/acl", new Stat()));
        step("setACL /golden/acl OPEN_ACL_UNSAFE version=0",
                () -> zk.setACL("/golden/acl", Ids.OPEN_ACL_UNSAFE, 0));
        step("getACL /golden",
                () -> zk.getACL("/golden", new Stat()));
        step("whoAmI (op 107)",
                () -> { List<?> l = zk.whoAmI(); return l; });
        step("getEphemerals /golden (op 103)",
                () -> zk.getEphemerals("/golden"));
        step("getAllChildrenNumber /golden (op 104)",
                () -> zk.getAllChildrenNumber("/golden"));
        step("addWatch /golden PERSISTENT_RECURSIVE (op 106)",
                () -> { zk.addWatch("/golden", AddWatchMode.PERSISTENT_RECURSIVE); return "added"; });
        step("create /golden/r1 'r' (fires NodeCreated via recursive watch)",
                () -> zk.create("/golden/r1", b("r"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        step("setData /golden/r1 'r2' (fires NodeDataChanged via recursive watch)",
                () -> zk.setData("/golden/r1", b("r2"), -1));
        step("delete /golden/r1 -1 (fires NodeDeleted via recursive watch)",
                () -> { zk.delete("/golden/r1", -1); return "deleted"; });
        step("exists /golden/c2 with watcher object (watch=true)",
                () -> zk.exists("/golden/c2", existsWatcher));
        step("removeWatches /golden/c2 watcher Data local=false (op 17 checkWatches)",
                () -> { zk.removeWatches("/golden/c2", existsWatcher, Watcher.WatcherType.Data, false);
                        return "removed"; });
        step("removeAllWatches /golden Any local=false (op 18)",
                () -> { zk.removeAllWatches("/golden", Watcher.WatcherType.Any, false); return "removed"; });
        step("close (op -11 closeSession)", () -> { zk.close(); return "closed"; });

        Thread.sleep(200);
        synchronized (events) {
            for (String e : events) {
                System.out.println("EVENT " + e);
            }
        }
    }
}
