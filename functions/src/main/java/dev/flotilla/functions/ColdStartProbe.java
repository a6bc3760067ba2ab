package dev.flotilla.functions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Measures a cold start as Lambda would see one without SnapStart: from JVM start to a constructed provisioner
 * handler (init), then one event handled (first invocation). Configured from the environment like the function.
 * Usage: {@code java -cp flotilla-functions-lambda.jar dev.flotilla.functions.ColdStartProbe EVENT.json}
 */
public final class ColdStartProbe {

  private ColdStartProbe() {}

  public static void main(String[] args) throws Exception {
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    ProvisionerHandler handler = new ProvisionerHandler();
    long init = System.currentTimeMillis() - jvmStart;
    byte[] event = Files.readAllBytes(Path.of(args[0]));
    long start = System.nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event), out, null);
    long first = (System.nanoTime() - start) / 1_000_000;
    System.out.println("{\"initMillis\":" + init + ",\"firstInvocationMillis\":" + first + ",\"answer\":"
        + out.toString(java.nio.charset.StandardCharsets.UTF_8) + "}");
    // the metrics library leaves a non-daemon thread behind; a Lambda sandbox would simply be frozen here
    System.exit(0);
  }
}
