package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.Open;
import io.javafuse.api.Request;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A path filesystem that answers its calls later, from another thread, through
 * {@link Request#later}; the work itself is {@link ExamplePathFs}'s.
 */
final class LaterPathFs implements PathFileSystem {
    private final ExamplePathFs fs;
    private final Executor executor;
    final AtomicInteger answeredLater = new AtomicInteger();

    LaterPathFs(ExamplePathFs fs, Executor executor) {
        this.fs = fs;
        this.executor = executor;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException;
    }

    private <T> T later(Request request, Work<T> work) {
        answeredLater.incrementAndGet();
        return request.later(CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(1);
                return work.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, executor).exceptionallyCompose(failure -> CompletableFuture.failedFuture(
                failure.getCause() instanceof UncheckedIOException u ? u.getCause() : failure)));
    }

    @Override
    public Attr getattr(Request request, String path, long fh) {
        return later(request, () -> fs.getattr(request, path, fh));
    }

    @Override
    public void mkdir(Request request, String path, int mode) {
        later(request, () -> {
            fs.mkdir(request, path, mode);
            return null;
        });
    }

    @Override
    public void unlink(Request request, String path) {
        later(request, () -> {
            fs.unlink(request, path);
            return null;
        });
    }

    @Override
    public void rmdir(Request request, String path) throws IOException {
        fs.rmdir(request, path);
    }

    @Override
    public void rename(Request request, String from, String to, int flags) {
        later(request, () -> {
            fs.rename(request, from, to, flags);
            return null;
        });
    }

    @Override
    public Open open(Request request, String path, int flags) {
        return later(request, () -> fs.open(request, path, flags));
    }

    @Override
    public Open create(Request request, String path, int mode, int flags) {
        return later(request, () -> fs.create(request, path, mode, flags));
    }

    @Override
    public void truncate(Request request, String path, long size, long fh) {
        later(request, () -> {
            fs.truncate(request, path, size, fh);
            return null;
        });
    }

    @Override
    public int read(Request request, String path, MemorySegment destination, long offset, long fh) {
        later(request, () -> fs.read(request, path, destination, offset, fh));
        return 0;
    }

    @Override
    public int write(Request request, String path, MemorySegment data, long offset, long fh) {
        later(request, () -> fs.write(request, path, data, offset, fh));
        return 0;
    }

    @Override
    public void release(Request request, String path, int flags, long fh) {
        later(request, () -> {
            fs.release(request, path, flags, fh);
            return null;
        });
    }

    @Override
    public void readdir(Request request, String path, PathDirectoryFiller filler, long offset, long fh) {
        later(request, () -> {
            fs.readdir(request, path, filler, offset, fh);
            return null;
        });
    }
}
