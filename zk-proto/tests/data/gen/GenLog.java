import java.util.*;
import java.util.concurrent.*;
import org.apache.zookeeper.*;
import org.apache.zookeeper.data.*;

public class GenLog {
    public static void main(String[] args) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(args[0], 10000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        connected.await();
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        zk.create("/a", "hello".getBytes(), open, CreateMode.PERSISTENT);                       // create (1)
        zk.create("/a/null", null, open, CreateMode.PERSISTENT);                                // create null data
        zk.create("/a/seq-", new byte[0], open, CreateMode.PERSISTENT_SEQUENTIAL);              // sequential
        zk.create("/a/eph", "e".getBytes(), open, CreateMode.EPHEMERAL, new Stat());            // create2 (15)
        zk.create("/ttl", "t".getBytes(), open, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 1000L); // createTTL (21)
        zk.create("/cont", new byte[0], open, CreateMode.CONTAINER);                            // createContainer (19)
        zk.create("/cont/child", new byte[0], open, CreateMode.PERSISTENT);
        zk.delete("/cont/child", -1);                                                           // delete (2)
        zk.setData("/a", "world".getBytes(), 0);                                                // setData (5)
        zk.setACL("/a", Arrays.asList(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.ANYONE_ID_UNSAFE), new ACL(ZooDefs.Perms.READ, new Id("ip", "127.0.0.1"))), -1);                                      // setACL (7)
        zk.setACL("/a", open, 1);
        try { zk.setData("/a", "x".getBytes(), 42); } catch (KeeperException.BadVersionException e) {} // error (-1)
        try { zk.create("/missing/x", null, open, CreateMode.PERSISTENT); } catch (KeeperException.NoNodeException e) {}
        zk.multi(Arrays.asList(                                                                 // multi (14)
            Op.create("/m", "m".getBytes(), open, CreateMode.PERSISTENT),
            Op.create("/m/c2", null, open, CreateMode.PERSISTENT, 0L),   // still type create (1)
            Op.check("/m", 0),
            Op.setData("/m", "mm".getBytes(), 0),
            Op.delete("/m/c2", -1)));
        try {
            zk.multi(Arrays.asList(                                                             // failed multi
                Op.create("/f", null, open, CreateMode.PERSISTENT),
                Op.check("/a", 99),
                Op.delete("/a", -1)));
        } catch (KeeperException e) {}
        zk.multi(Collections.emptyList());                                                      // empty multi
        Thread.sleep(3000); // let the container/TTL reaper issue deleteContainer (20)
        zk.close();                                                                             // closeSession (-11)
    }
}
