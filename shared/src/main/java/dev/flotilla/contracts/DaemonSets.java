package dev.flotilla.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.model.PendingPod;
import java.util.List;

/**
 * The cluster's DaemonSets as the functions plan with them: one pod template each, whose requests and pod slot
 * every node it matches gives up. The forwarder mirrors them into the table, where every function that plans nodes
 * (provisioner, interruption, consolidation) reads them, so a planned node never counts room its DaemonSets take.
 */
public record DaemonSets(List<PendingPod> templates) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final TypeReference<List<PendingPod>> TEMPLATES = new TypeReference<>() {};

  public DaemonSets {
    templates = List.copyOf(templates);
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(templates);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a mirrored document, naming what is wrong with it. */
  public static DaemonSets parse(String json) {
    try {
      return new DaemonSets(JSON.readValue(json, TEMPLATES));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the mirrored DaemonSets document cannot be read: "
          + e.getOriginalMessage(), e);
    }
  }
}
