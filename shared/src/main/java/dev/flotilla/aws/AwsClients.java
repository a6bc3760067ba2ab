package dev.flotilla.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.pricing.PricingClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The SDK v2 clients Flotilla uses, built once per process over one URL-connection HTTP client: the lightest client
 * the SDK has, which keeps Lambda cold starts short and pulls in neither Netty nor Apache HTTP.
 *
 * <p>Every call has an attempt timeout and an overall timeout, and the SDK's standard retry strategy (exponential
 * backoff with jitter, bounded attempts, a retry quota) so a slow or throttled endpoint never hangs a function.
 *
 * <p>The Price List API ({@link #pricing()}) answers only at a few endpoints (us-east-1, eu-central-1, ap-south-1),
 * and each of them serves every region's prices: its client always calls {@link #PRICING_REGION}, whatever region
 * the function runs in, and the region whose prices are wanted goes in the request's filters.
 */
public final class AwsClients implements AutoCloseable {

  /** Connection settings: region, optional endpoint override (an emulator), credentials. */
  public record Settings(Region region, Optional<URI> endpoint, AwsCredentialsProvider credentials) {

    /** Region from AWS_REGION (then AWS_DEFAULT_REGION, then us-east-1), endpoint from AWS_ENDPOINT_URL. */
    public static Settings fromEnvironment(Map<String, String> env) {
      String region = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"), "us-east-1");
      Optional<URI> endpoint = Optional.ofNullable(env.get("AWS_ENDPOINT_URL")).filter(s -> !s.isBlank()).map(URI::create);
      return new Settings(Region.of(region), endpoint, DefaultCredentialsProvider.builder().build());
    }

    /** An emulator: fixed dummy credentials, as moto and LocalStack accept any. */
    public static Settings emulator(URI endpoint, Region region) {
      return new Settings(region, Optional.of(endpoint),
          StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")));
    }

    private static String firstNonBlank(String... values) {
      for (String v : values) {
        if (v != null && !v.isBlank()) {
          return v;
        }
      }
      throw new IllegalArgumentException("no value");
    }
  }

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  static final int MAX_ATTEMPTS = 4;
  /** Where the Price List API is called from every region: one of its few endpoints, and its oldest. */
  public static final Region PRICING_REGION = Region.US_EAST_1;

  private final Settings settings;
  private final SdkHttpClient http;
  private final ClientOverrideConfiguration overrides;
  private final Once<Ec2Client> ec2 = new Once<>(() -> configure(Ec2Client.builder()).build());
  private final Once<DynamoDbClient> dynamo = new Once<>(() -> configure(DynamoDbClient.builder()).build());
  private final Once<EventBridgeClient> events = new Once<>(() -> configure(EventBridgeClient.builder()).build());
  private final Once<SqsClient> sqs = new Once<>(() -> configure(SqsClient.builder()).build());
  private final Once<SsmClient> ssm = new Once<>(() -> configure(SsmClient.builder()).build());
  private final Once<PricingClient> pricing =
      new Once<>(() -> configure(PricingClient.builder()).region(PRICING_REGION).build());

  public AwsClients(Settings settings) {
    this(settings, UrlConnectionHttpClient.builder()
        .connectionTimeout(CONNECT_TIMEOUT)
        .socketTimeout(SOCKET_TIMEOUT)
        .build());
  }

  /**
   * Clients configured as {@link #AwsClients(Settings)} builds them, over another HTTP client: one that answers
   * locally, for priming the SDK's request paths without calling AWS.
   */
  public AwsClients(Settings settings, SdkHttpClient http) {
    this.settings = settings;
    this.http = http;
    this.overrides = ClientOverrideConfiguration.builder()
        .apiCallAttemptTimeout(ATTEMPT_TIMEOUT)
        .apiCallTimeout(CALL_TIMEOUT)
        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(MAX_ATTEMPTS).build())
        .build();
  }

  public static AwsClients fromEnvironment() {
    return new AwsClients(Settings.fromEnvironment(System.getenv()));
  }

  public Settings settings() {
    return settings;
  }

  public Ec2Client ec2() {
    return ec2.get();
  }

  public DynamoDbClient dynamo() {
    return dynamo.get();
  }

  public EventBridgeClient events() {
    return events.get();
  }

  /** Systems Manager: the node image parameters. */
  public SsmClient ssm() {
    return ssm.get();
  }

  public SqsClient sqs() {
    return sqs.get();
  }

  /** The Price List API's client: in {@link #PRICING_REGION} whatever {@link Settings#region()} is. */
  public PricingClient pricing() {
    return pricing.get();
  }

  private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
    builder.region(settings.region())
        .credentialsProvider(settings.credentials())
        .overrideConfiguration(overrides)
        .httpClient(http);
    settings.endpoint().ifPresent(builder::endpointOverride);
    return builder;
  }

  @Override
  public void close() {
    ec2.closeIfBuilt();
    dynamo.closeIfBuilt();
    events.closeIfBuilt();
    sqs.closeIfBuilt();
    ssm.closeIfBuilt();
    pricing.closeIfBuilt();
    http.close();
  }

  /** A client built on first use, so a function pays only for the services it calls. */
  private static final class Once<T extends AutoCloseable> {
    private final java.util.function.Supplier<T> factory;
    private T value;

    Once(java.util.function.Supplier<T> factory) {
      this.factory = factory;
    }

    synchronized T get() {
      if (value == null) {
        value = factory.get();
      }
      return value;
    }

    synchronized void closeIfBuilt() {
      if (value != null) {
        try {
          value.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + value + ": " + e.getMessage(), e);
        }
      }
    }
  }
}
