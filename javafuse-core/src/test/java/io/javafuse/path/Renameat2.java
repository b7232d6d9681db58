package io.javafuse.path;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** renameat2(2), which java.nio cannot make: RENAME_NOREPLACE and RENAME_EXCHANGE. */
final class Renameat2 {
    private Renameat2() {}

    static final int AT_FDCWD = -100;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(groupElement("errno"));
    private static final MethodHandle RENAMEAT2 = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("renameat2"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.captureCallState("errno"));

    /** Renames; answers 0, or the errno it failed with. */
    static int rename(Path from, Path to, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int result = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, arena.allocateFrom(from.toString()), AT_FDCWD,
                    arena.allocateFrom(to.toString()), flags);
            return result == 0 ? 0 : (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
