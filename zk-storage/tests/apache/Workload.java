// Drives a real Apache ZooKeeper 3.8 server through the operations the interop fixture holds.
// Run by make-fixtures.sh: java -cp $ZK_JAVA_CLASSPATH Workload.java 127.0.0.1:PORT DONE_FILE
// Leaves session "live" open (its ephemeral survives in the dataDir) and waits to be killed.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public class Workload {
    static ZooKeeper connect(String server) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(server, 30000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                up.countDown();
            }
        });
        if (!up.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("cannot connect to " + server);
        }
        return zk;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        String server = args[0];
        ZooKeeper zk = connect(server);
        ZooKeeper live = connect(server);
        ZooKeeper gone = connect(server);

        zk.create("/app", utf8("v0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create("/app/config", utf8("hello"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.setData("/app/config", utf8("hello2"), 0);
        zk.create("/app/binary", new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe}, Ids.OPEN_ACL_UNSAFE,
                  CreateMode.PERSISTENT);
        zk.create("/app/null", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create("/app/empty", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
        List<ACL> secure = Arrays.asList(new ACL(Perms.ALL, new Id("digest", digest)),
                                         new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE));
        zk.create("/secure", utf8("top secret"), secure, CreateMode.PERSISTENT);
        zk.addAuthInfo("digest", utf8("alice:secret"));
        zk.create("/secure/child", utf8("mine"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
        zk.setACL("/app/binary", Ids.READ_ACL_UNSAFE, 0);

        zk.create("/queue", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String q0 = zk.create("/queue/item-", utf8("a"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        zk.create("/queue/item-", utf8("b"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        zk.create("/queue/item-", utf8("c"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        zk.delete(q0, 0);

        live.create("/eph-live", utf8("still here"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        gone.create("/eph-gone", utf8("bye"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        live.create("/queue/lease-", null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        gone.close();

        zk.multi(Arrays.asList(
            Op.create("/multi", utf8("m"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.create("/multi/a", utf8("ma"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.setData("/app", utf8("v1"), 0),
            Op.delete("/app/empty", 0),
            Op.check("/app/config", 1)));
        try {
            zk.multi(Arrays.asList(
                Op.create("/fail", utf8("never"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.check("/app", 99)));
            throw new IllegalStateException("the failing multi succeeded");
        } catch (KeeperException.BadVersionException expected) {
            // Logged as a multi of error txns.
        }

        zk.create("/container", null, Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
        zk.create("/container/c1", utf8("keeps the container"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create("/ttl", utf8("ttl"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, null, 3600000L);
        zk.create("/deleted", utf8("x"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.delete("/deleted", 0);
        zk.create("/\u00fcn\u00efcode", utf8("\u65e5\u672c"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        // Enough further txns to roll the log and write several snapshots (snapCount=10).
        zk.create("/bulk", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        for (int i = 0; i < 40; i++) {
            zk.create("/bulk/n" + i, utf8("value-" + i), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        }
        for (int i = 0; i < 40; i += 3) {
            zk.delete("/bulk/n" + i, -1);
        }
        for (int i = 1; i < 40; i += 3) {
            zk.setData("/bulk/n" + i, utf8("updated-" + i), -1);
        }
        zk.setData("/app/config", utf8("final"), -1);
        zk.close();

        Files.write(Paths.get(args[1]), utf8(String.format("live 0x%x\n", live.getSessionId())));
        // Keep "live" open: the server is stopped under it, so its session and ephemerals persist.
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
}
