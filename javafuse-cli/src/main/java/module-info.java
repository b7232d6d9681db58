/** The javafuse command line. */
module io.javafuse.cli {
    requires io.javafuse.filesystems;
    requires info.picocli;
    opens io.javafuse.cli to info.picocli;
}
