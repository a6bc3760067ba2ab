package dev.flotilla.contracts;

/**
 * The detail of {@code Node Registered}, {@code Node Ready} and {@code Node Deleted}: a node and the EC2 instance
 * its providerID names.
 */
public record NodeEvent(String cluster, String node, String instanceId) {

  public static NodeEvent from(Envelope event) {
    if (!Envelope.FORWARDER.equals(event.source())) {
      throw new InvalidEventException("event.source: expected " + Envelope.FORWARDER + ", got " + event.source());
    }
    String cluster = event.detailText("cluster");
    String node = event.detailText("node");
    String instanceId = event.detailText("instanceId");
    if (!instanceId.startsWith("i-")) {
      throw new InvalidEventException(event.detailType() + " event " + event.id() + ": detail.instanceId: '"
          + instanceId + "' is not an EC2 instance id");
    }
    return new NodeEvent(cluster, node, instanceId);
  }
}
