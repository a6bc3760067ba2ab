package dev.flotilla.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real-format sample events in the repository's {@code test-events} folder. */
public final class TestEvents {

  private TestEvents() {}

  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("test-events"))) {
        return dir.resolve("test-events");
      }
    }
    throw new IllegalStateException("no test-events folder above " + Path.of("").toAbsolutePath());
  }

  public static String read(String relative) {
    try {
      return Files.readString(root().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
