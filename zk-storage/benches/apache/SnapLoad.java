// Times Apache ZooKeeper's own snapshot load (FileSnap.deserialize into a DataTree: parse, child
// sets, digests, ACL references, quotas) of the newest snapshot in a directory, for comparison
// with zk-storage's `snapshot_load` bench on the same file:
//
//   ZK_BENCH_SNAPSHOT_DIR=/tmp/snap1m cargo bench -p zk-storage --bench snapshot -- snapshot_write
//   java -Xmx8g -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar \
//       zk-storage/benches/apache/SnapLoad.java /tmp/snap1m 5
//
// Prints one line per round (the first rounds include JIT warm-up).

import java.io.File;
import java.util.HashMap;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileSnap;

public class SnapLoad {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        for (int i = 0; i < rounds; i++) {
            DataTree tree = new DataTree();
            long start = System.nanoTime();
            long zxid = new FileSnap(dir).deserialize(tree, new HashMap<>());
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("round %d: %d ms, %d nodes, zxid 0x%x%n", i, ms, tree.getNodeCount(), zxid);
        }
    }
}
