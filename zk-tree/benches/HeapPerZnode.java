import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.server.DataTree;

/** Heap growth per znode of Apache's DataTree: 1M znodes /bench/n0000001.. with 100-byte data. */
public class HeapPerZnode {
    static long used() throws Exception {
        for (int i = 0; i < 5; i++) { System.gc(); Thread.sleep(200); }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        DataTree tree = new DataTree();
        tree.createNode("/bench", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, -1, 1, 1);
        long before = used();
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) {
            byte[] data = new byte[100];
            java.util.Arrays.fill(data, (byte) 'x');
            tree.createNode(String.format("/bench/n%07d", i), data, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, -1, i + 1, i);
        }
        long t1 = System.nanoTime();
        long after = used();
        System.out.printf("apache DataTree: %d znodes in %.2f s: %.1f bytes of heap per znode (%s)%n",
            n, (t1 - t0) / 1e9, (after - before) / (double) n, System.getProperty("java.vm.version"));
        System.out.println(tree.getNodeCount());
    }
}
