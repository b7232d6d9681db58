package io.javafuse.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Aborting a mount (a forced shutdown, a busy close) mounts fusectl if nobody had. Tests that
 * force shutdowns use this extension ({@code @ExtendWith}) to put the machine back as it was.
 */
public final class RestoreFusectl implements BeforeAllCallback, AfterAllCallback {
    private static final String FUSECTL = "/sys/fs/fuse/connections";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RestoreFusectl.class);

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        context.getStore(NAMESPACE).put("mountedBefore", fusectlMounted());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Boolean before = context.getStore(NAMESPACE).get("mountedBefore", Boolean.class);
        if (Boolean.FALSE.equals(before) && fusectlMounted()) {
            new ProcessBuilder("umount", FUSECTL).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean fusectlMounted() throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream()
                .anyMatch(line -> line.split(" ").length > 1 && line.split(" ")[1].equals(FUSECTL));
    }
}
