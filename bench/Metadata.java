// Metadata workload of bench/run.sh: creates N empty files in a fresh directory under DIR, stats
// each, lists the directory, unlinks each, and prints one line per phase: "<phase> <ops/s>".
// With --drop it drops the kernel's caches (dentries, inodes, pages) before the stat and readdir
// phases, so a FUSE mount has to answer them rather than the kernel's caches.
//
//   $JAVA_HOME/bin/java bench/Metadata.java [--drop] DIR [N]      (N defaults to 20000)
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

public class Metadata {
    public static void main(String[] args) throws Exception {
        int i = 0;
        boolean drop = false;
        if (args.length > 0 && args[0].equals("--drop")) { drop = true; i++; }
        Path dir = Path.of(args[i]).resolve("metadata-" + ProcessHandle.current().pid());
        int n = args.length > i + 1 ? Integer.parseInt(args[i + 1]) : 20000;
        Files.createDirectory(dir);
        Path[] files = new Path[n];
        for (int k = 0; k < n; k++) files[k] = dir.resolve("f" + k);

        long t = System.nanoTime();
        for (Path f : files) Files.createFile(f);
        report("create", n, t);

        if (drop) dropCaches();
        t = System.nanoTime();
        long bytes = 0;
        for (Path f : files) bytes += Files.readAttributes(f, BasicFileAttributes.class).size();
        report("stat", n, t);
        if (bytes != 0) throw new IllegalStateException("files should be empty");

        if (drop) dropCaches();
        t = System.nanoTime();
        int listed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path ignored : entries) listed++;
        }
        report("readdir", listed, t);
        if (listed != n) throw new IllegalStateException("listed " + listed + " of " + n);

        t = System.nanoTime();
        for (Path f : files) Files.delete(f);
        report("unlink", n, t);
        Files.delete(dir);
    }

    static void report(String phase, int ops, long start) {
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s %.1f%n", phase, ops / seconds);
    }

    static void dropCaches() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }
}
