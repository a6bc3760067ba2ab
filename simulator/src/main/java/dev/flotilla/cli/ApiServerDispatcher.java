package dev.flotilla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * fabric8's CRUD dispatcher with two behaviours of the real API server that the forwarder's memory depends on.
 * Lists page: a list with {@code limit=N} answers at most N items and a {@code continue} token for the rest (the mock
 * server would answer a 10,000-pod list in one piece). Watches start at their {@code resourceVersion}: a watch sends
 * only changes made after it (the mock server would replay every object as ADDED, so an informer would take in the
 * whole cluster twice right after its list). Without these the benchmark would measure responses a real cluster
 * never sends.
 */
final class ApiServerDispatcher extends KubernetesCrudDispatcher {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.util.regex.Pattern SINCE = java.util.regex.Pattern.compile("[?&]resourceVersion=(\\d+)");

  @Override
  public MockResponse handleWatch(String path) {
    MockResponse watch = super.handleWatch(path);
    java.util.regex.Matcher from = SINCE.matcher(path);
    WebSocketListener replaying = watch.getWebSocketListener();
    if (!from.find() || replaying == null) {
      return watch;
    }
    long since = Long.parseLong(from.group(1));
    return watch.withWebSocketUpgrade(new WebSocketListener() {
      @Override
      public void onBeforeAccept(WebSocket socket, Response response) {
        replaying.onBeforeAccept(new Since(socket, since), response);
      }

      @Override
      public void onOpen(WebSocket socket, Response response) {
        replaying.onOpen(new Since(socket, since), response);
      }

      @Override
      public void onMessage(WebSocket socket, String text) {
        replaying.onMessage(new Since(socket, since), text);
      }

      @Override
      public void onClosing(WebSocket socket, int code, String reason) {
        replaying.onClosing(new Since(socket, since), code, reason);
      }

      @Override
      public void onClosed(WebSocket socket, int code, String reason) {
        replaying.onClosed(new Since(socket, since), code, reason);
      }

      @Override
      public void onFailure(WebSocket socket, Throwable failure, Response response) {
        replaying.onFailure(new Since(socket, since), failure, response);
      }
    });
  }

  /** A watch's socket that passes only events newer than the version the watch started from. */
  private record Since(WebSocket socket, long version) implements WebSocket {
    @Override
    public RecordedRequest request() {
      return socket.request();
    }

    @Override
    public boolean send(String text) {
      try {
        JsonNode event = JSON.readTree(text);
        String changed = event.path("object").path("metadata").path("resourceVersion").asText("");
        if (!"BOOKMARK".equals(event.path("type").asText()) && !changed.isEmpty()
            && Long.parseLong(changed) <= version) {
          return true;
        }
      } catch (IOException | NumberFormatException e) {
        // not an event this filter understands: send it as it is
      }
      return socket.send(text);
    }

    @Override
    public boolean send(byte[] bytes) {
      return socket.send(bytes);
    }

    @Override
    public boolean close(int code, String reason) {
      return socket.close(code, reason);
    }
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    int query = path.indexOf('?');
    if (!"GET".equals(request.getMethod()) || query < 0 || path.contains("watch=true")) {
      return super.dispatch(request);
    }
    int limit = 0;
    int offset = 0;
    List<String> rest = new ArrayList<>();
    for (String param : path.substring(query + 1).split("&")) {
      if (param.startsWith("limit=")) {
        limit = Integer.parseInt(param.substring("limit=".length()));
      } else if (param.startsWith("continue=")) {
        offset = Integer.parseInt(param.substring("continue=".length()));
      } else {
        rest.add(param);
      }
    }
    if (limit <= 0) {
      return super.dispatch(request);
    }
    MockResponse all = handleGet(path.substring(0, query) + (rest.isEmpty() ? "" : "?" + String.join("&", rest)));
    if (all.code() != 200) {
      return all;
    }
    try {
      ObjectNode list = (ObjectNode) JSON.readTree(all.getBody().readUtf8());
      List<JsonNode> items = new ArrayList<>();
      list.path("items").forEach(items::add);
      // a stable order, so that the pages of one list neither repeat nor skip an item
      items.sort(Comparator.comparing((JsonNode i) -> i.path("metadata").path("namespace").asText(""))
          .thenComparing(i -> i.path("metadata").path("name").asText("")));
      int end = Math.min(items.size(), offset + limit);
      ArrayNode page = list.putArray("items");
      items.subList(Math.min(offset, end), end).forEach(page::add);
      ObjectNode metadata = list.get("metadata") instanceof ObjectNode m ? m : list.putObject("metadata");
      if (end < items.size()) {
        metadata.put("continue", Integer.toString(end));
      } else {
        metadata.remove("continue");
      }
      return new MockResponse().setResponseCode(200).setBody(JSON.writeValueAsString(list));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
