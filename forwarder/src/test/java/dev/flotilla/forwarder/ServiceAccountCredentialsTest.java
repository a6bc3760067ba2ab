package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.internal.WebIdentityCredentialsUtils;

/**
 * The forwarder reaches AWS with its service account's role (IRSA): the SDK's default chain reads the projected web
 * identity token only when its STS module is on the classpath, and otherwise falls through to the node's role.
 */
class ServiceAccountCredentialsTest {

  @Test
  void theSdkCanTradeTheServiceAccountsTokenForTheForwardersRole() {
    assertThatCode(WebIdentityCredentialsUtils::factory).doesNotThrowAnyException();
  }
}
