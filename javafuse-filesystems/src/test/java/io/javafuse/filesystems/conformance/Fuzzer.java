package io.javafuse.filesystems.conformance;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A randomized differential fuzzer: the same sequence of file operations runs on a native
 * directory and on a mount, and after every step the outcome and the state of everything the
 * step touched must match; every {@value #FULL_CHECK_EVERY} steps the whole tree is compared.
 * A failure is reproducible from its seed and is shrunk to a short sequence that still fails.
 */
public final class Fuzzer {
    static final int FULL_CHECK_EVERY = 200;
    private static final String[] FILES = {"a", "b", "d/c", "d/e/f"};
    private static final String[] DIRS = {"d", "d/e", "g"};
    private static final int HANDLES = 4;
    private static final int MAX_OFFSET = 3 * 4096 + 17;

    /** One operation, fully determined: replaying it on a fresh tree does the same thing. */
    public record Op(String kind, int handle, String path, String other, long offset, int length, int flags,
                     long seed) {
        @Override
        public String toString() {
            return kind + "(h" + handle + " " + path + (other != null ? " -> " + other : "") + " off=" + offset
                    + " len=" + length + " flags=" + flags + ")";
        }
    }

    /** One side of the comparison: a root directory and the channels open on it. */
    static final class Side implements AutoCloseable {
        final Path root;
        final FileChannel[] handles = new FileChannel[HANDLES];

        Side(Path root) {
            this.root = root;
        }

        @Override
        public void close() {
            for (int i = 0; i < HANDLES; i++) {
                closeQuietly(i);
            }
        }

        void closeQuietly(int i) {
            if (handles[i] != null) {
                try {
                    handles[i].close();
                } catch (IOException e) {
                    // compared through the next step's outcome
                }
                handles[i] = null;
            }
        }
    }

    /** Thrown when the two sides disagree. */
    public static final class Divergence extends AssertionError {
        final int step;

        Divergence(int step, String message) {
            super(message);
            this.step = step;
        }
    }

    private static final java.lang.invoke.MethodHandle MEMCPY = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("memcpy"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private Fuzzer() {}

    /** Generates {@code count} operations from {@code seed}. */
    public static List<Op> generate(long seed, int count) {
        Random random = new Random(seed);
        List<Op> ops = new ArrayList<>(count);
        String[] kinds = {"open", "open", "close", "write", "write", "write", "read", "read", "truncate", "ftruncate",
                "fsync", "mmapwrite", "rename", "link", "unlink", "mkdir", "rmdir", "append", "setsize"};
        for (int i = 0; i < count; i++) {
            String kind = kinds[random.nextInt(kinds.length)];
            String path = random.nextInt(10) < 8 ? FILES[random.nextInt(FILES.length)] : DIRS[random.nextInt(DIRS.length)];
            String other = random.nextBoolean() ? FILES[random.nextInt(FILES.length)] : DIRS[random.nextInt(DIRS.length)];
            ops.add(new Op(kind, random.nextInt(HANDLES), path, other, random.nextInt(MAX_OFFSET),
                    1 + random.nextInt(random.nextInt(8) == 0 ? 70_000 : 3000), random.nextInt(16), random.nextLong()));
        }
        return ops;
    }

    /**
     * Runs {@code ops} on both roots; throws {@link Divergence} at the first difference.
     *
     * @return the number of checks made
     */
    public static long run(List<Op> ops, Path nativeRoot, Path mountRoot) throws IOException {
        long checks = 0;
        try (Side a = new Side(nativeRoot); Side b = new Side(mountRoot)) {
            for (int step = 0; step < ops.size(); step++) {
                Op op = ops.get(step);
                String expected = apply(a, op);
                String actual = apply(b, op);
                checks++;
                if (!expected.equals(actual)) {
                    throw new Divergence(step, "step " + step + " " + op + ": native " + expected + ", mount " + actual);
                }
                for (String touched : touched(op)) {
                    checks++;
                    String e = describe(a.root, touched);
                    String m = describe(b.root, touched);
                    if (!e.equals(m)) {
                        throw new Divergence(step, "after step " + step + " " + op + ", " + touched + ": native " + e
                                + ", mount " + m);
                    }
                }
                if (step % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1 || step == ops.size() - 1) {
                    checks++;
                    String e = tree(a.root);
                    String m = tree(b.root);
                    if (!e.equals(m)) {
                        throw new Divergence(step, "after step " + step + " the trees differ:\nnative " + e + "\nmount  " + m);
                    }
                }
            }
        }
        return checks;
    }

    /**
     * Shrinks a failing sequence: drops chunks of operations while the rest still fails on fresh
     * roots (delta debugging), so the report is a handful of steps, not thousands.
     */
    public static List<Op> shrink(List<Op> failing, RootFactory roots) throws IOException {
        List<Op> current = new ArrayList<>(failing);
        int chunk = Math.max(1, current.size() / 2);
        while (chunk >= 1) {
            boolean removed = false;
            for (int start = 0; start < current.size(); ) {
                List<Op> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (!candidate.isEmpty() && fails(candidate, roots)) {
                    current = candidate;
                    removed = true;
                } else {
                    start += chunk;
                }
            }
            if (!removed) {
                chunk /= 2;
            }
        }
        return current;
    }

    /** Fresh, empty roots for a replay. */
    public interface RootFactory {
        Path[] freshRoots() throws IOException;
    }

    private static boolean fails(List<Op> ops, RootFactory roots) throws IOException {
        Path[] both = roots.freshRoots();
        try {
            run(ops, both[0], both[1]);
            return false;
        } catch (Divergence d) {
            return true;
        }
    }

    private static Set<String> touched(Op op) {
        return switch (op.kind()) {
            case "rename", "link" -> new java.util.TreeSet<>(List.of(op.path(), op.other()));
            default -> Set.of(op.path());
        };
    }

    /** Applies one operation; returns its outcome as text (a value, or the error's kind). */
    static String apply(Side side, Op op) {
        Path path = side.root.resolve(op.path());
        try {
            return switch (op.kind()) {
                case "open" -> {
                    side.closeQuietly(op.handle());
                    side.handles[op.handle()] = FileChannel.open(path, openOptions(op.flags()));
                    yield "opened";
                }
                case "close" -> {
                    boolean was = side.handles[op.handle()] != null;
                    side.closeQuietly(op.handle());
                    yield was ? "closed" : "none";
                }
                case "write", "append" -> {
                    FileChannel channel = channel(side, op);
                    ByteBuffer data = ByteBuffer.wrap(bytes(op));
                    int n = op.kind().equals("append") ? channel.write(data) : channel.write(data, op.offset());
                    yield "wrote " + n;
                }
                case "read" -> {
                    FileChannel channel = channel(side, op);
                    ByteBuffer buffer = ByteBuffer.allocate(op.length());
                    int n = channel.read(buffer, op.offset());
                    yield "read " + n + " " + digest(buffer.flip());
                }
                case "ftruncate" -> {
                    channel(side, op).truncate(op.offset());
                    yield "truncated";
                }
                case "setsize" -> {
                    // truncate(2) growing the file: FileChannel.truncate only shrinks, so write a byte at the end
                    FileChannel channel = channel(side, op);
                    if (op.offset() > channel.size()) {
                        channel.write(ByteBuffer.wrap(new byte[] {(byte) op.seed()}), op.offset() - 1);
                    }
                    yield "size " + channel.size();
                }
                case "truncate" -> {
                    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                        channel.truncate(op.offset());
                    }
                    yield "truncated";
                }
                case "fsync" -> {
                    channel(side, op).force(op.flags() % 2 == 0);
                    yield "synced";
                }
                case "mmapwrite" -> {
                    FileChannel channel = channel(side, op);
                    long size = channel.size();
                    if (size == 0) {
                        yield "empty";
                    }
                    long at = op.offset() % size;
                    int length = (int) Math.min(op.length(), size - at);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment map = channel.map(FileChannel.MapMode.READ_WRITE, at, length, arena);
                        MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes(op));
                        // The page faults of a mapping served by this very JVM must happen in native
                        // code: a fault taken in Java code would hold up a safepoint that the threads
                        // answering the fault's READ wait for, and the JVM would deadlock.
                        MemorySegment copied = (MemorySegment) MEMCPY.invokeExact(map, data, (long) length);
                        assert copied.address() == map.address();
                        map.force();
                    } catch (IOException | RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException(t);
                    }
                    yield "mapped " + length;
                }
                case "rename" -> {
                    Files.move(path, side.root.resolve(op.other()), StandardCopyOption.ATOMIC_MOVE);
                    yield "renamed";
                }
                case "link" -> {
                    Files.createLink(side.root.resolve(op.other()), path);
                    yield "linked";
                }
                case "unlink" -> {
                    Files.delete(path);
                    yield "deleted";
                }
                case "mkdir" -> {
                    Files.createDirectory(path);
                    yield "made";
                }
                case "rmdir" -> {
                    if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                        yield "not a directory";
                    }
                    Files.delete(path);
                    yield "removed";
                }
                default -> throw new IllegalArgumentException(op.kind());
            };
        } catch (IOException | RuntimeException e) {
            return error(e);
        }
    }

    private static FileChannel channel(Side side, Op op) throws IOException {
        FileChannel channel = side.handles[op.handle()];
        if (channel == null) {
            throw new IOException("no handle");
        }
        return channel;
    }

    private static OpenOption[] openOptions(int flags) {
        List<OpenOption> options = new ArrayList<>();
        options.add(StandardOpenOption.READ);
        if ((flags & 1) != 0) {
            options.add(StandardOpenOption.WRITE);
        }
        if ((flags & 2) != 0) {
            options.add(StandardOpenOption.CREATE);
            if (!options.contains(StandardOpenOption.WRITE)) {
                options.add(StandardOpenOption.WRITE);
            }
        }
        if ((flags & 4) != 0 && options.contains(StandardOpenOption.WRITE)) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if ((flags & 8) != 0 && (flags & 2) != 0) {
            options.remove(StandardOpenOption.CREATE);
            options.add(StandardOpenOption.CREATE_NEW);
        }
        return options.toArray(OpenOption[]::new);
    }

    /** The error as both sides should report it: its kind and the system's reason, without paths. */
    private static String error(Exception e) {
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : "";
        String kind = switch (e) {
            case NoSuchFileException _ -> "ENOENT";
            case FileAlreadyExistsException _ -> "EEXIST";
            case DirectoryNotEmptyException _ -> "ENOTEMPTY";
            case NotDirectoryException _ -> "ENOTDIR";
            case AtomicMoveNotSupportedException _ -> "EXDEV";
            default -> e.getClass().getSimpleName();
        };
        return "error " + kind + " " + reason;
    }

    private static byte[] bytes(Op op) {
        byte[] data = new byte[op.length()];
        new Random(op.seed()).nextBytes(data);
        return data;
    }

    /** What a path is: type, size, link count, mode and a digest of its contents. */
    static String describe(Path root, String name) throws IOException {
        Path path = root.resolve(name);
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return error(e);
        }
        if (attributes.isDirectory()) {
            try (var list = Files.list(path)) {
                return "dir " + attributes.permissions() + " " + list.map(p -> p.getFileName().toString()).sorted().toList();
            }
        }
        Object nlink = Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        return "file size=" + attributes.size() + " nlink=" + nlink + " " + attributes.permissions() + " "
                + digest(ByteBuffer.wrap(Files.readAllBytes(path)));
    }

    /** The whole tree, every entry described. */
    static String tree(Path root) throws IOException {
        TreeMap<String, String> all = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path path : walk.toList()) {
                String name = root.relativize(path).toString();
                if (!name.isEmpty()) {
                    all.put(name, describe(root, name));
                }
            }
        }
        return all.toString();
    }

    private static String digest(ByteBuffer data) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data);
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
