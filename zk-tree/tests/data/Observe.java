import org.apache.zookeeper.*;
import org.apache.zookeeper.data.*;
import java.util.*;
import java.util.concurrent.*;

public class Observe {
    static String s(Stat st) {
        return String.format("czxid=%x mzxid=%x pzxid=%x ctime=%d mtime=%d version=%d cversion=%d aversion=%d owner=%x dataLength=%d numChildren=%d",
            st.getCzxid(), st.getMzxid(), st.getPzxid(), st.getCtime(), st.getMtime(), st.getVersion(), st.getCversion(),
            st.getAversion(), st.getEphemeralOwner(), st.getDataLength(), st.getNumChildren());
    }
    static void p(String label, Object o) { System.out.println(label + ": " + o); }
    public static void main(String[] a) throws Exception {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        Watcher w = e -> { if (e.getType() != Watcher.Event.EventType.None) events.add(e.getType() + " " + e.getPath()); };
        CountDownLatch c = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(a[0], 30000, e -> { if (e.getState() == Watcher.Event.KeeperState.SyncConnected) c.countDown(); });
        c.await();
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        for (String path : new String[]{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"})
            p("stat " + path, s(zk.exists(path, false)));
        p("acl /zookeeper/config", zk.getACL("/zookeeper/config", new Stat()));
        p("allChildren /", zk.getAllChildrenNumber("/"));
        Stat st = new Stat();
        p("create /a", zk.create("/a", "x".getBytes(), open, CreateMode.PERSISTENT, st)); p("  create2 stat", s(st));
        p("stat /", s(zk.exists("/", false)));
        p("create /a/b", zk.create("/a/b", null, open, CreateMode.PERSISTENT));
        p("create /a/s-", zk.create("/a/s-", new byte[0], open, CreateMode.PERSISTENT_SEQUENTIAL));
        p("stat /a", s(zk.exists("/a", false)));
        p("stat /a/b", s(zk.exists("/a/b", false)));
        p("get /a/b data==null", zk.getData("/a/b", false, null) == null);
        p("setData /a", s(zk.setData("/a", "yy".getBytes(), -1)));
        p("setACL /a", s(zk.setACL("/a", open, -1)));
        zk.delete("/a/b", -1);
        p("after delete /a/b stat /a", s(zk.exists("/a", false)));
        p("create /a/s- again", zk.create("/a/s-", new byte[0], open, CreateMode.PERSISTENT_SEQUENTIAL));
        p("stat /a", s(zk.exists("/a", false)));
        st = new Stat();
        p("create -e /e", zk.create("/e", null, open, CreateMode.EPHEMERAL, st)); p("  stat", s(st));
        p("session", Long.toHexString(zk.getSessionId()));
        st = new Stat();
        p("create -c /c", zk.create("/c", null, open, CreateMode.CONTAINER, st)); p("  stat", s(st));
        st = new Stat();
        p("create -t /t", zk.create("/t", null, open, CreateMode.PERSISTENT_WITH_TTL, st, 100000)); p("  stat", s(st));
        p("ephemerals", zk.getEphemerals());
        List<OpResult> rs = zk.multi(Arrays.asList(
            Op.create("/m1", null, open, CreateMode.PERSISTENT),
            Op.create("/m2", "d".getBytes(), open, CreateMode.PERSISTENT),
            Op.setData("/m1", "z".getBytes(), 0),
            Op.check("/m2", 0)));
        for (OpResult r : rs) {
            String x = r.getClass().getSimpleName();
            if (r instanceof OpResult.CreateResult) x += " " + ((OpResult.CreateResult) r).getPath() + " " + (((OpResult.CreateResult) r).getStat() == null ? "nostat" : s(((OpResult.CreateResult) r).getStat()));
            if (r instanceof OpResult.SetDataResult) x += " " + s(((OpResult.SetDataResult) r).getStat());
            p("multi result", x);
        }
        p("stat /m1", s(zk.exists("/m1", false)));
        try {
            zk.multi(Arrays.asList(Op.create("/f1", null, open, CreateMode.PERSISTENT),
                Op.create("/a", null, open, CreateMode.PERSISTENT), Op.delete("/zz", -1)));
        } catch (KeeperException e) {
            for (OpResult r : e.getResults()) p("failed multi result", ((OpResult.ErrorResult) r).getErr());
        }
        p("exists /f1", zk.exists("/f1", false));
        p("stat / after failed multi", s(zk.exists("/", false)));
        // watches
        zk.getData("/a", w, null); zk.exists("/w", w); zk.getChildren("/a", w); zk.getChildren("/", w);
        zk.create("/w", null, open, CreateMode.PERSISTENT);
        zk.exists("/w", w);
        zk.create("/a/c", null, open, CreateMode.PERSISTENT);
        zk.getChildren("/a", w);
        zk.setData("/a", "q".getBytes(), -1);
        zk.getData("/a/c", w, null); zk.getChildren("/a/c", w);
        zk.delete("/a/c", -1);
        zk.delete("/w", -1);
        Thread.sleep(500);
        for (String e : events) p("event", e);
        p("stat /a final", s(zk.exists("/a", false)));
        ZooKeeper zk2 = new ZooKeeper(a[0], 30000, e -> {});
        Thread.sleep(1000);
        zk2.create("/e2", null, open, CreateMode.EPHEMERAL);
        zk2.create("/a/e3", null, open, CreateMode.EPHEMERAL);
        p("stat / before close", s(zk.exists("/", false)));
        zk.getChildren("/", w); zk.getChildren("/a", w); zk.exists("/e2", w);
        events.clear();
        zk2.close();
        Thread.sleep(500);
        for (String e : events) p("close event", e);
        p("stat / after close", s(zk.exists("/", false)));
        p("stat /a after close", s(zk.exists("/a", false)));
        p("allChildren /", zk.getAllChildrenNumber("/"));
        zk.close();
    }
}
