package dev.flotilla.infra;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;

/** The stack as a test builds it: the real functions jar, context like a platform engineer's. */
final class StackFixture {

  static final String CLUSTER = "prod-east";

  private StackFixture() {}

  static Map<String, Object> context() {
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("clusterName", CLUSTER);
    context.put("subnets", "us-east-1a=subnet-0aaa1111,us-east-1b=subnet-0bbb2222");
    context.put("securityGroups", "sg-0c1a2b3c,sg-0d4e5f60");
    context.put("clusterEndpoint", "https://ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com");
    context.put("clusterCertificateAuthority", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t");
    context.put("functionsJar", System.getProperty("flotilla.functionsJar"));
    context.put("nodePoolsFile", Path.of("src/test/resources/nodepools.yaml").toString());
    return context;
  }

  static FlotillaStack synthesize(Map<String, Object> context, Path outdir) {
    App app = new App(AppProps.builder().context(context).outdir(outdir.toString()).build());
    FlotillaStack stack = FlotillaApp.stack(app, Path.of("target", "function-bundle"));
    app.synth();
    return stack;
  }
}
