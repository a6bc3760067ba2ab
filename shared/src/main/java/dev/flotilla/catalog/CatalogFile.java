package dev.flotilla.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The catalog file: a region's instance types with their specs, zones and on-demand prices, and where those facts
 * came from. The bundled {@code us-east-1.json} is built from public data (see {@code SOURCES.md} beside it).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CatalogFile(String region, List<String> sources, List<String> zones, List<InstanceType> instanceTypes) {

  public static final String BUNDLED_RESOURCE = "/dev/flotilla/catalog/us-east-1.json";

  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public CatalogFile {
    sources = sources == null ? List.of() : List.copyOf(sources);
    zones = zones == null ? List.of() : List.copyOf(zones);
    instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("catalog: region is required");
    }
    if (instanceTypes.isEmpty()) {
      throw new IllegalArgumentException("catalog: instanceTypes is empty");
    }
  }

  /** The us-east-1 catalog that ships inside the jar. */
  public static CatalogFile bundled() {
    try (InputStream in = CatalogFile.class.getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("bundled catalog " + BUNDLED_RESOURCE + " is missing from the classpath");
      }
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static CatalogFile read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read catalog " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
    }
  }

  public static CatalogFile read(InputStream in) throws IOException {
    return MAPPER.readValue(in, CatalogFile.class);
  }

  public InstanceType require(String name) {
    return instanceTypes.stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("catalog " + region + " has no instance type " + name));
  }
}
