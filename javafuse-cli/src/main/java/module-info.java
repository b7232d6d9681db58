/** The javafuse command line. */
module io.javafuse.cli {
    requires io.javafuse.filesystems;
    requires info.picocli;
    requires jdk.unsupported;
    opens io.javafuse.cli to info.picocli;
}
