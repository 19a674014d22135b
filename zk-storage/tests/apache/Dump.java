// Loads a dataDir with Apache ZooKeeper's own recovery code (FileTxnSnapLog.restore: newest valid
// snapshot, then the txn log) and prints the resulting tree, one line per znode, sorted by path:
//
//   zxid <tab> 0x<last processed zxid>
//   digest <tab> <DataTree.getTreeDigest(), decimal>
//   session <tab> 0x<id> <tab> <timeout ms>
//   node <tab> <path> <tab> <data as hex, "-" for null> <tab> <acl> <tab> <StatPersisted>
//
// where <acl> is "perms:scheme:id" entries joined by ",", and <StatPersisted> is
// "czxid mzxid ctime mtime version cversion aversion ephemeralOwner pzxid" (zxids and the owner in
// hex). The dataDir is the directory that holds version-2/. Used by make-fixtures.sh and by the
// env-gated test that checks Apache can load a dataDir we wrote. With --snapshot-only, only the
// newest valid snapshot is loaded (FileSnap.deserialize), without the log.
//
//   java -cp $ZK_JAVA_CLASSPATH Dump.java DATADIR [--snapshot-only]

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.StatPersisted;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileSnap;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class Dump {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        FileTxnSnapLog snapLog = new FileTxnSnapLog(dir, dir);
        DataTree tree = new DataTree();
        Map<Long, Integer> sessions = new ConcurrentHashMap<>();
        long zxid = args.length > 1 && args[1].equals("--snapshot-only")
            ? new FileSnap(snapLog.getSnapDir()).deserialize(tree, sessions)
            : snapLog.restore(tree, sessions, (hdr, txn, digest) -> { });
        StringBuilder out = new StringBuilder();
        out.append(String.format("zxid\t0x%x\n", zxid));
        out.append(String.format("digest\t%d\n", tree.getTreeDigest()));
        for (Map.Entry<Long, Integer> s : new TreeMap<>(sessions).entrySet()) {
            out.append(String.format("session\t0x%x\t%d\n", s.getKey(), s.getValue()));
        }
        List<String> paths = new ArrayList<>();
        collect(tree, "", paths);
        Collections.sort(paths);
        for (String path : paths) {
            DataNode node = tree.getNode(path);
            out.append("node\t").append(path.isEmpty() ? "/" : path).append('\t');
            byte[] data = node.getData();
            if (data == null) {
                out.append('-');
            } else {
                for (byte b : data) {
                    out.append(String.format("%02x", b));
                }
            }
            out.append('\t');
            List<String> acls = new ArrayList<>();
            for (ACL acl : tree.getACL(node)) {
                acls.add(acl.getPerms() + ":" + acl.getId().getScheme() + ":" + acl.getId().getId());
            }
            out.append(String.join(",", acls)).append('\t');
            StatPersisted s = node.stat;
            out.append(String.format("0x%x 0x%x %d %d %d %d %d 0x%x 0x%x\n", s.getCzxid(), s.getMzxid(),
                s.getCtime(), s.getMtime(), s.getVersion(), s.getCversion(), s.getAversion(),
                s.getEphemeralOwner(), s.getPzxid()));
        }
        System.out.print(out);
        snapLog.close();
    }

    static void collect(DataTree tree, String path, List<String> paths) {
        paths.add(path);
        DataNode node = tree.getNode(path);
        List<String> children = new ArrayList<>(node.getChildren());
        for (String child : children) {
            collect(tree, path + "/" + child, paths);
        }
    }
}
