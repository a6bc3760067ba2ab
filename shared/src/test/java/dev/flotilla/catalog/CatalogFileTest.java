package dev.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CatalogFileTest {

  private static final CatalogFile CATALOG = CatalogFile.bundled();

  @Test
  void bundledCatalogHoldsUsEast1WithItsSources() {
    assertThat(CATALOG.region()).isEqualTo("us-east-1");
    assertThat(CATALOG.instanceTypes()).hasSize(1345);
    assertThat(CATALOG.zones()).containsExactly(
        "us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f");
    assertThat(CATALOG.sources()).anySatisfy(s -> assertThat(s).contains("getmoto/moto"))
        .anySatisfy(s -> assertThat(s).contains("karpenter-provider-aws"));
  }

  @Test
  void knownGeneralPurposeType() {
    InstanceType m5 = CATALOG.require("m5.large");
    assertThat(m5.vcpu()).isEqualTo(2);
    assertThat(m5.memoryMiB()).isEqualTo(8192);
    assertThat(m5.arch()).isEqualTo("amd64");
    assertThat(m5.maxPods()).isEqualTo(29);
    assertThat(m5.onDemandUsdPerHour()).isEqualTo(0.096);
    assertThat(m5.category()).isEqualTo("m");
    assertThat(m5.generation()).isEqualTo(5);
    assertThat(m5.size()).isEqualTo("large");
  }

  @Test
  void knownGpuAndArmTypes() {
    InstanceType g5 = CATALOG.require("g5.12xlarge");
    assertThat(g5.gpus()).isEqualTo(4);
    assertThat(g5.maxPods()).isEqualTo(737);

    InstanceType a1 = CATALOG.require("a1.large");
    assertThat(a1.arch()).isEqualTo("arm64");
    assertThat(a1.onDemandUsdPerHour()).isEqualTo(0.051);
    assertThat(a1.zones()).containsExactly("us-east-1a", "us-east-1b", "us-east-1c");
  }

  @Test
  void familyPartsOfUnusualNames() {
    InstanceType x2 = CATALOG.require("x2iedn.xlarge");
    assertThat(x2.category()).isEqualTo("x");
    assertThat(x2.generation()).isEqualTo(2);
    assertThat(CATALOG.require("inf2.xlarge").category()).isEqualTo("inf");
  }

  @Test
  void everyTypeHasAPriceZonesAndPods() {
    assertThat(CATALOG.instanceTypes()).allSatisfy(t -> {
      assertThat(t.onDemandUsdPerHour()).as(t.name()).isPositive();
      assertThat(t.zones()).as(t.name()).isNotEmpty();
      assertThat(t.maxPods()).as(t.name()).isPositive();
      assertThat(t.vcpu()).as(t.name()).isPositive();
    });
  }

  @Test
  void readsAnyFileInTheSchemaAndNamesWhatIsMissing() throws Exception {
    String synthetic = """
        {"region":"test-1","zones":["test-1a"],"instanceTypes":[
          {"name":"s.1","vcpu":1,"memoryMiB":2048,"arch":"amd64","maxPods":10,"onDemandUsdPerHour":0.01,"zones":["test-1a"]}]}
        """;
    CatalogFile file = CatalogFile.read(new ByteArrayInputStream(synthetic.getBytes(StandardCharsets.UTF_8)));
    assertThat(file.require("s.1").family()).isEqualTo("s");

    assertThatThrownBy(() -> CatalogFile.read(new ByteArrayInputStream(
        "{\"region\":\"x\",\"instanceTypes\":[]}".getBytes(StandardCharsets.UTF_8))))
        .hasRootCauseMessage("catalog: instanceTypes is empty");
  }
}
