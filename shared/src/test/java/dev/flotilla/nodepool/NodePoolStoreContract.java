package dev.flotilla.nodepool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every NodePool store does, in memory or in DynamoDB. */
public abstract class NodePoolStoreContract {

  protected static final String GENERAL = "{\"apiVersion\":\"flotilla.dev/v1\",\"kind\":\"NodePool\","
      + "\"metadata\":{\"name\":\"general\"},\"spec\":{\"limits\":{\"cpu\":\"100\"}}}";
  protected static final String GENERAL_BIGGER = GENERAL.replace("\"100\"", "\"200\"");
  protected static final String GPU = "{\"apiVersion\":\"flotilla.dev/v1\",\"kind\":\"NodePool\","
      + "\"metadata\":{\"name\":\"gpu\"},\"spec\":{\"weight\":10}}";

  protected abstract NodePoolStore store();

  /** Another writer over the same stored state, knowing nothing of what the first wrote: a restarted forwarder. */
  protected abstract NodePoolStore restartedWriter();

  @Test
  void nothingWrittenReadsAsNoPoolsAndNoVersion() {
    assertThat(store().version()).isEmpty();
    assertThat(store().read()).isEqualTo(NodePoolStore.Stored.NONE);
  }

  @Test
  void replaceStoresEveryPoolUnderAVersionTheReadCarries() {
    store().replace(Map.of("general", GENERAL, "gpu", GPU));

    NodePoolStore.Stored stored = store().read();
    assertThat(stored.documents()).containsExactlyInAnyOrderEntriesOf(Map.of("general", GENERAL, "gpu", GPU));
    assertThat(stored.version()).isNotEmpty().isEqualTo(store().version());
  }

  @Test
  void aChangedPoolAndADeletedPoolMoveTheVersionAndTheReadFollows() {
    store().replace(Map.of("general", GENERAL, "gpu", GPU));
    String first = store().version();

    store().replace(Map.of("general", GENERAL_BIGGER, "gpu", GPU));
    String changed = store().version();
    assertThat(changed).isNotEqualTo(first);
    assertThat(store().read().documents()).containsEntry("general", GENERAL_BIGGER);

    store().replace(Map.of("general", GENERAL_BIGGER));
    assertThat(store().version()).isNotEqualTo(changed).isNotEqualTo(first);
    assertThat(store().read().documents()).containsOnlyKeys("general");
  }

  @Test
  void writingTheSamePoolsAgainKeepsTheVersion() {
    store().replace(Map.of("general", GENERAL));
    String version = store().version();

    store().replace(Map.of("general", GENERAL));
    restartedWriter().replace(Map.of("general", GENERAL));

    assertThat(store().version()).isEqualTo(version);
  }

  @Test
  void aRestartedWriterReplacesWhatTheFormerOneWroteEvenPoolsItNeverSaw() {
    store().replace(Map.of("general", GENERAL, "gpu", GPU));

    // gpu was deleted while no writer ran: the new writer's view lacks it
    restartedWriter().replace(Map.of("general", GENERAL_BIGGER));

    assertThat(store().read().documents()).containsExactlyEntriesOf(Map.of("general", GENERAL_BIGGER));
  }

  @Test
  void allPoolsDeletedReadsAsAnEmptySetUnderItsOwnVersion() {
    store().replace(Map.of("general", GENERAL));

    store().replace(Map.of());

    assertThat(store().read().documents()).isEmpty();
    assertThat(store().version()).isNotEmpty();
  }
}
