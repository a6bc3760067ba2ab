package dev.flotilla.aws.smoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

@AwsIntegrationTest
class DynamoConditionsSmokeIT {

  private static final String TABLE = "flotilla-smoke";
  private DynamoDbClient dynamo;

  @BeforeEach
  void table(AwsClients aws) {
    dynamo = aws.dynamo();
    dynamo.createTable(r -> r.tableName(TABLE)
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(
            a -> a.attributeName("pk").attributeType(ScalarAttributeType.S),
            a -> a.attributeName("sk").attributeType(ScalarAttributeType.S))
        .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH), k -> k.attributeName("sk").keyType(KeyType.RANGE)));
  }

  @Test
  void conditionalPutRejectsADuplicate() {
    Map<String, AttributeValue> claim = item("CLAIM#a", "owner", "first");
    dynamo.putItem(r -> r.tableName(TABLE).item(claim).conditionExpression("attribute_not_exists(pk)"));

    assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(TABLE).item(item("CLAIM#a", "owner", "second"))
        .conditionExpression("attribute_not_exists(pk)")))
        .isInstanceOf(ConditionalCheckFailedException.class);
    assertThat(dynamo.getItem(r -> r.tableName(TABLE).key(key("CLAIM#a"))).item().get("owner").s()).isEqualTo("first");
  }

  @Test
  void transactionIsCancelledAsAWholeWhenOneConditionFails() {
    dynamo.putItem(r -> r.tableName(TABLE).item(item("POD#taken", "claim", "other")));

    assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
        put(item("CLAIM#b", "state", "Launching")),
        put(item("POD#free", "claim", "b")),
        put(item("POD#taken", "claim", "b")))))
        .isInstanceOf(TransactionCanceledException.class);

    assertThat(dynamo.getItem(r -> r.tableName(TABLE).key(key("CLAIM#b"))).hasItem()).isFalse();
    assertThat(dynamo.getItem(r -> r.tableName(TABLE).key(key("POD#free"))).hasItem()).isFalse();
    assertThat(dynamo.getItem(r -> r.tableName(TABLE).key(key("POD#taken"))).item().get("claim").s()).isEqualTo("other");
  }

  private static TransactWriteItem put(Map<String, AttributeValue> item) {
    return TransactWriteItem.builder()
        .put(p -> p.tableName(TABLE).item(item).conditionExpression("attribute_not_exists(pk)"))
        .build();
  }

  private static Map<String, AttributeValue> key(String sk) {
    return Map.of("pk", AttributeValue.fromS("CLUSTER#smoke"), "sk", AttributeValue.fromS(sk));
  }

  private static Map<String, AttributeValue> item(String sk, String name, String value) {
    return Map.of("pk", AttributeValue.fromS("CLUSTER#smoke"), "sk", AttributeValue.fromS(sk),
        name, AttributeValue.fromS(value));
  }
}
