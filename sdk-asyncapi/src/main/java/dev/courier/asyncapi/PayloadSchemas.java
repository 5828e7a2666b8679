package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.CustomDefinition;
import com.github.victools.jsonschema.generator.FieldScope;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaBuilder;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;

import java.lang.annotation.Annotation;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * JSON Schemas (draft-07, the base of AsyncAPI's default schema format) for message payloads, made
 * by victools' jsonschema-generator with its Jackson module, so {@code @JsonProperty},
 * {@code @JsonIgnore}, {@code @JsonValue} enums and {@code @JsonNaming} are honoured.
 *
 * <p>One instance per document: a type used in more than one place becomes one entry of
 * {@code components.schemas} and is referenced; a type used once is inlined.
 *
 * <p>Nullability, the way Courier's codec reads and writes: a field is optional (not in
 * {@code required}) and may be {@code null} when it is an {@code Optional*} or carries an annotation
 * named {@code Nullable} (any package: JSpecify, Jakarta, JetBrains...); every other field is
 * required and not null. Primitives are never null. Dates are ISO-8601 strings (the codec turns
 * timestamps off); a {@code Duration} is a number of seconds unless the mapper turns
 * {@link SerializationFeature#WRITE_DURATIONS_AS_TIMESTAMPS} off.
 */
final class PayloadSchemas {

    /** Where the shared definitions go, as a JSON pointer without the leading {@code #/}. */
    static final String DEFINITIONS = "components/schemas";

    private final SchemaBuilder builder;

    /** {@code durationAsNumber}: how the bus's codec writes a Duration ({@link dev.courier.spi.PayloadCodec.JsonSchemaHints}). */
    PayloadSchemas(boolean durationAsNumber) {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(new ObjectMapper(),
                SchemaVersion.DRAFT_7, OptionPreset.PLAIN_JSON)
                .without(Option.SCHEMA_VERSION_INDICATOR)
                .with(Option.PLAIN_DEFINITION_KEYS, Option.STANDARD_FORMATS,
                        Option.MAP_VALUES_AS_ADDITIONAL_PROPERTIES, Option.FLATTENED_ENUMS)
                .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_REQUIRED,
                        JacksonOption.FLATTENED_ENUMS_FROM_JSONVALUE));
        // Declaration order (the order Jackson writes a record in), not victools' alphabetical default.
        config.forTypesInGeneral().withPropertySorter((a, b) -> 0);
        config.forFields()
                .withRequiredCheck(field -> !nullable(field))
                .withNullableCheck(PayloadSchemas::nullable);
        config.forTypesInGeneral().withCustomDefinitionProvider((type, context) -> {
            if (type.getErasedType() != Duration.class) {
                return null;
            }
            ObjectNode node = context.getGeneratorConfig().createObjectNode();
            if (durationAsNumber) {
                node.put("type", "number").put("description", "A duration in seconds (decimal).");
            } else {
                node.put("type", "string").put("format", "duration");
            }
            return new CustomDefinition(node, CustomDefinition.DefinitionType.INLINE,
                    CustomDefinition.AttributeInclusion.NO);
        });
        this.builder = new SchemaGenerator(config.build()).buildMultipleSchemaDefinitions();
    }

    /** The payload schema of {@code type}: inline, or a reference into {@link #DEFINITIONS}. */
    ObjectNode payload(Class<?> type) {
        return builder.createSchemaReference(type);
    }

    /** The shared definitions; call once, after every {@link #payload}. Fixes up the references. */
    ObjectNode definitions() {
        return builder.collectDefinitions(DEFINITIONS);
    }

    private static boolean nullable(FieldScope field) {
        Class<?> raw = field.getType().getErasedType();
        if (raw.isPrimitive()) {
            return false;
        }
        if (raw == Optional.class || raw == OptionalInt.class || raw == OptionalLong.class || raw == OptionalDouble.class) {
            return true;
        }
        if (field.isFakeContainerItemScope()) {
            return false;
        }
        if (field.getRawMember() != null) {
            if (named(field.getRawMember().getAnnotations())
                    || named(field.getRawMember().getAnnotatedType().getAnnotations())) {
                return true;
            }
        }
        return false;
    }

    private static boolean named(Annotation[] annotations) {
        for (Annotation a : annotations) {
            if (a.annotationType().getSimpleName().equals("Nullable")) {
                return true;
            }
        }
        return false;
    }
}
