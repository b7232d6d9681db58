package io.javafuse.api;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A request that passes every method on to another: the base for a decorator that changes one
 * of them (how an adapter catches {@link #later}, say) and must not lose the others, including
 * those added to {@link Request} later.
 */
public abstract class ForwardingRequest implements Request {
    private final Request delegate;

    protected ForwardingRequest(Request delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    protected Request delegate() {
        return delegate;
    }

    @Override
    public long unique() {
        return delegate.unique();
    }

    @Override
    public Operation operation() {
        return delegate.operation();
    }

    @Override
    public int uid() {
        return delegate.uid();
    }

    @Override
    public int gid() {
        return delegate.gid();
    }

    @Override
    public int pid() {
        return delegate.pid();
    }

    @Override
    public boolean isInterrupted() {
        return delegate.isInterrupted();
    }

    @Override
    public <T> T later(CompletionStage<? extends T> stage) {
        return delegate.later(stage);
    }

    @Override
    public int openBacking(int fd) throws IOException {
        return delegate.openBacking(fd);
    }

    @Override
    public void closeBacking(int backingId) throws IOException {
        delegate.closeBacking(backingId);
    }
}
