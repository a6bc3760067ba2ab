package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The API server's validation of a custom resource against its CRD's structural schema, for the keywords Flotilla's
 * CRD uses (type, required, properties, additionalProperties, enum, pattern, bounds, int-or-string), with unknown
 * fields rejected as {@code kubectl apply} does by default. CEL rules are evaluated by their Java equivalents, looked
 * up by the rule's exact text, so that a rule edited in the CRD fails the tests until its equivalent follows.
 */
final class OpenApiSchema {

  private final Map<String, Predicate<JsonNode>> rules;

  OpenApiSchema(Map<String, Predicate<JsonNode>> rules) {
    this.rules = rules;
  }

  /** Every violation, each naming the field; empty when the API server would accept the value. */
  List<String> validate(JsonNode schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    validate(schema, value, "", errors);
    return errors;
  }

  private void validate(JsonNode schema, JsonNode value, String path, List<String> errors) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!value.isIntegralNumber() && !value.isTextual()) {
        errors.add(path + ": must be an integer or a string");
        return;
      }
      if (value.isTextual()) {
        checkString(schema, value, path, errors);
      }
      return;
    }
    switch (schema.path("type").asText("")) {
      case "object" -> {
        if (!value.isObject()) {
          errors.add(path + ": must be an object");
          return;
        }
        if (path.equals(".metadata")) {
          // of a custom resource's metadata the API server checks only the name against the schema
          JsonNode name = schema.path("properties").path("name");
          if (!name.isMissingNode() && value.has("name")) {
            validate(name, value.get("name"), path + ".name", errors);
          }
          return;
        }
        for (JsonNode required : schema.path("required")) {
          if (!value.has(required.asText())) {
            errors.add(path + "." + required.asText() + ": Required value");
          }
        }
        if (schema.has("maxProperties") && value.size() > schema.path("maxProperties").asInt()) {
          errors.add(path + ": too many properties");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          JsonNode sub = schema.path("properties").path(field.getKey());
          if (sub.isMissingNode()) {
            sub = schema.path("additionalProperties");
          }
          if (sub.isMissingNode()) {
            errors.add(path + "." + field.getKey() + ": unknown field");
          } else {
            validate(sub, field.getValue(), path + "." + field.getKey(), errors);
          }
        }
      }
      case "array" -> {
        if (!value.isArray()) {
          errors.add(path + ": must be an array");
          return;
        }
        if (schema.has("maxItems") && value.size() > schema.path("maxItems").asInt()) {
          errors.add(path + ": too many items");
        }
        for (int i = 0; i < value.size(); i++) {
          validate(schema.path("items"), value.get(i), path + "[" + i + "]", errors);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          errors.add(path + ": must be a string");
          return;
        }
        checkString(schema, value, path, errors);
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          errors.add(path + ": must be an integer");
          return;
        }
        if (schema.has("minimum") && value.asLong() < schema.path("minimum").asLong()) {
          errors.add(path + ": should be greater than or equal to " + schema.path("minimum").asLong());
        }
        if (schema.has("maximum") && value.asLong() > schema.path("maximum").asLong()) {
          errors.add(path + ": should be less than or equal to " + schema.path("maximum").asLong());
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          errors.add(path + ": must be a boolean");
        }
      }
      default -> throw new IllegalArgumentException(path + ": schema type '" + schema.path("type").asText()
          + "' is not one this validator knows");
    }
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      Predicate<JsonNode> check = rules.get(rule.path("rule").asText());
      if (check == null) {
        throw new IllegalStateException("no Java equivalent for the CEL rule at " + path + ": "
            + rule.path("rule").asText());
      }
      if (!check.test(value)) {
        errors.add(path + ": " + rule.path("message").asText());
      }
    }
  }

  private static void checkString(JsonNode schema, JsonNode value, String path, List<String> errors) {
    String text = value.asText();
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode allowed : schema.path("enum")) {
        listed |= allowed.asText().equals(text);
      }
      if (!listed) {
        errors.add(path + ": Unsupported value: \"" + text + "\"");
      }
    }
    if (schema.has("pattern") && !Pattern.compile(schema.path("pattern").asText()).matcher(text).find()) {
      errors.add(path + ": should match '" + schema.path("pattern").asText() + "'");
    }
    if (schema.has("minLength") && text.length() < schema.path("minLength").asInt()) {
      errors.add(path + ": too short");
    }
    if (schema.has("maxLength") && text.length() > schema.path("maxLength").asInt()) {
      errors.add(path + ": too long");
    }
  }
}
