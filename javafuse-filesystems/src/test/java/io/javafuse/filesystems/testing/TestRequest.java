package io.javafuse.filesystems.testing;

import io.javafuse.api.Operation;
import io.javafuse.api.Request;

import java.util.concurrent.CompletionStage;

/** A request from a given user, as the engine would pass it, for tests that call a filesystem directly. */
public record TestRequest(int uid, int gid) implements Request {
    @Override
    public long unique() {
        return 1;
    }

    @Override
    public Operation operation() {
        return Operation.LOOKUP;
    }

    @Override
    public int pid() {
        return 1;
    }

    @Override
    public boolean isInterrupted() {
        return false;
    }

    @Override
    public <T> T later(CompletionStage<? extends T> stage) {
        throw new UnsupportedOperationException("synchronous tests");
    }
}
