package loanwatch.neo4jlocal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * A real Neo4j Community server for development and tests: the embedded database with the
 * Bolt connector open, authentication off, everything it writes kept under one folder.
 *
 * <pre>
 * java -jar neo4j-local.jar DATA_DIR [--bolt HOST:PORT] [--pagecache SIZE] [--config FILE]
 * </pre>
 *
 * <p>SIZE is a byte count with an optional k, m or g suffix (default 512m). {@code --config}
 * reads any other Neo4j settings from a neo4j.conf-style file (one {@code key=value} a
 * line); the Bolt address, authentication and page cache size given here win over it.
 * It prints a line starting with {@code ready} once Bolt accepts connections and shuts the
 * database down cleanly on SIGTERM or SIGINT. Authentication is off, so bind it to a
 * loopback address only.
 */
public final class Neo4jLocal {
    static final String DEFAULT_BOLT_HOST = "127.0.0.1";
    static final int DEFAULT_BOLT_PORT = 7687;
    static final long DEFAULT_PAGECACHE_BYTES = ByteUnit.mebiBytes(512);
    static final Duration BOLT_SHUTDOWN_WAIT = Duration.ofSeconds(1);

    private static final int EXIT_USAGE = 2;
    private static final int EXIT_START_FAILED = 1;

    private Neo4jLocal() {}

    /** The parsed command line. */
    private record Options(Path dataDir, SocketAddress bolt, long pagecacheBytes, Path configFile) {}

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-local: " + e.getMessage());
            System.err.println(
                    "usage: java -jar neo4j-local.jar DATA_DIR [--bolt HOST:PORT] [--pagecache SIZE]"
                            + " [--config FILE]");
            System.exit(EXIT_USAGE);
            return;
        }
        PrintStream out = System.out;
        try {
            Files.createDirectories(options.dataDir());
            // Anything that asks the JVM for a temporary file (e.g. native libraries that
            // get unpacked) lands in the data folder too, unless the launcher chose already.
            if (System.getProperty("loanwatch.tmpdir.set") == null) {
                Path tmp = options.dataDir().resolve("tmp");
                Files.createDirectories(tmp);
                System.setProperty("java.io.tmpdir", tmp.toString());
                // JNA would otherwise unpack its native library into ~/.cache/JNA.
                System.setProperty("jna.tmpdir", tmp.toString());
            }
        } catch (IOException e) {
            System.err.println("neo4j-local: cannot create " + options.dataDir() + ": " + e);
            System.exit(EXIT_START_FAILED);
            return;
        }

        long started = System.nanoTime();
        out.printf("starting Neo4j in %s, Bolt on %s, page cache %d MiB%n",
                options.dataDir(), options.bolt(), options.pagecacheBytes() / ByteUnit.mebiBytes(1));
        out.flush();

        DatabaseManagementService service;
        try {
            DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(options.dataDir());
            if (options.configFile() != null) {
                builder.loadPropertiesFromFile(options.configFile());
            }
            service = builder
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, options.bolt())
                    .setConfig(BoltConnector.advertised_address, options.bolt())
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(HttpsConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.auth_enabled, false)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, options.pagecacheBytes())
                    // Bolt otherwise waits 5 s twice on shutdown (connections, threads). With 1 s
                    // it logs two harmless "forcefully terminated" WARNs, after the databases are closed.
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, BOLT_SHUTDOWN_WAIT)
                    .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, BOLT_SHUTDOWN_WAIT)
                    .build();
        } catch (RuntimeException e) {
            System.err.println("neo4j-local: Neo4j failed to start: " + e);
            e.printStackTrace(System.err);
            System.exit(EXIT_START_FAILED);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("stopping Neo4j");
            out.flush();
            try {
                service.shutdown();
                out.println("stopped");
            } catch (RuntimeException e) {
                System.err.println("neo4j-local: error while shutting down: " + e);
            } finally {
                out.flush();
                stopped.countDown();
            }
        }, "neo4j-local-shutdown"));

        GraphDatabaseService db = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofMinutes(5).toMillis())) {
            System.err.println("neo4j-local: the default database did not become available");
            System.exit(EXIT_START_FAILED);
            return;
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        out.printf("ready bolt://%s (started in %d ms)%n", options.bolt(), elapsedMs);
        out.flush();

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Options parse(String[] args) {
        Path dataDir = null;
        SocketAddress bolt = new SocketAddress(DEFAULT_BOLT_HOST, DEFAULT_BOLT_PORT);
        long pagecache = DEFAULT_PAGECACHE_BYTES;
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--bolt" -> bolt = parseAddress(value(args, ++i, arg));
                case "--pagecache" -> pagecache = parseSize(value(args, ++i, arg));
                case "--config" -> configFile = Path.of(value(args, ++i, arg)).toAbsolutePath();
                default -> {
                    if (arg.startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + arg);
                    }
                    if (dataDir != null) {
                        throw new IllegalArgumentException("only one DATA_DIR, got a second: " + arg);
                    }
                    dataDir = Path.of(arg).toAbsolutePath().normalize();
                }
            }
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("DATA_DIR is required");
        }
        return new Options(dataDir, bolt, pagecache, configFile);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    static SocketAddress parseAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got " + text);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range in " + text);
            }
            return new SocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + text);
        }
    }

    static long parseSize(String text) {
        String t = text.trim().toLowerCase();
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'k' -> unit = ByteUnit.kibiBytes(1);
            case 'm' -> unit = ByteUnit.mebiBytes(1);
            case 'g' -> unit = ByteUnit.gibiBytes(1);
            default -> { }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(digits.trim());
            if (n <= 0) {
                throw new IllegalArgumentException("size must be positive: " + text);
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size " + text + " (use e.g. 512m or 1g)");
        }
    }
}
