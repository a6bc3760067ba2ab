package dev.flotilla.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One Kubernetes document read from a YAML file, with where it came from so every error can name it. Lists
 * ({@code kind: List}) are flattened into their items.
 */
public record Manifest(String source, int index, JsonNode node) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public String kind() {
    return node.path("kind").asText("");
  }

  public String apiVersion() {
    return node.path("apiVersion").asText("");
  }

  public String name() {
    return node.path("metadata").path("name").asText("");
  }

  public String namespace() {
    String ns = node.path("metadata").path("namespace").asText("");
    return ns.isEmpty() ? "default" : ns;
  }

  /** "NodePool 'gpu' (shop.yaml, document 3)": how errors name a document. */
  public String describe() {
    return kind() + " '" + name() + "' (" + source + ", document " + index + ")";
  }

  public ManifestException error(String path, String problem) {
    return new ManifestException(describe() + ": " + path + ": " + problem);
  }

  public static List<Manifest> read(Path file) {
    try (Reader reader = Files.newBufferedReader(file)) {
      return read(file.toString(), reader);
    } catch (IOException e) {
      throw new ManifestException("cannot read " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
    }
  }

  public static List<Manifest> parse(String source, String yaml) {
    try {
      return read(source, new StringReader(yaml));
    } catch (IOException e) {
      throw new ManifestException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  private static List<Manifest> read(String source, Reader reader) throws IOException {
    List<Manifest> result = new ArrayList<>();
    int index = 0;
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(reader)) {
      while (docs.hasNextValue()) {
        JsonNode doc = docs.nextValue();
        index++;
        if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
          continue;
        }
        if (!doc.isObject()) {
          throw new ManifestException(source + ", document " + index + ": not a mapping");
        }
        if (doc.path("kind").asText("").endsWith("List") && doc.path("items").isArray()) {
          for (JsonNode item : doc.path("items")) {
            result.add(new Manifest(source, index, item));
          }
        } else {
          result.add(new Manifest(source, index, doc));
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ManifestException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
    return result;
  }
}
