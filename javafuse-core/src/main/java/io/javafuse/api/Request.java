package io.javafuse.api;

import java.util.concurrent.CompletionStage;

/**
 * The context of one kernel request: who asked, and whether the caller has given up.
 *
 * <p>A handler answers by returning; to answer later or from another thread, it returns
 * {@code request.later(stage)} and completes the stage when the answer is known.
 */
public interface Request {
    /** The kernel's id of this request, unique among requests in flight. */
    long unique();

    /** The operation asked for, such as {@link Operation#LOOKUP}. */
    Operation operation();

    int uid();

    int gid();

    int pid();

    /**
     * Whether the caller interrupted this request (a signal reached the process waiting on it).
     * A handler that sees it should stop and throw {@code new FuseException(Errno.EINTR)}.
     */
    boolean isInterrupted();

    /**
     * Answers this request later: the handler returns what this method returns, and the reply is
     * sent when {@code stage} completes (its exception mapped by {@link Errno#of}).
     * Methods that return a primitive ({@code read}, {@code write}, {@code lseek} ...) call it
     * and return any value, which is ignored: {@code request.later(stage); return 0;}.
     */
    <T> T later(CompletionStage<? extends T> stage);
}
