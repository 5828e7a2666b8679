package dev.courier;


import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Maps message names to Java types and back. Filled by the builder, checked once at build(), then
 * read-only. Names are explicit strings, never class names. Internal.
 */
final class Registry {

    /** {@code v<N>.<entity>.<verb>}: lower-case segments, entity may contain dots or dashes. */
    public static final Pattern NAME = Pattern.compile("v[1-9][0-9]*\\.[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*\\.[a-z][a-z0-9-]*");

    private final Map<Class<?>, MessageType> byClass = new LinkedHashMap<>();
    private final Map<String, MessageType> byName = new LinkedHashMap<>();

    /** Registers {@code type}, adding any problem to {@code problems}; {@code explicitName} may be null. */
    public MessageType register(Class<?> type, String explicitName, List<String> problems) {
        if (type == null) {
            problems.add("a message type is null");
            return null;
        }
        MessageType known = byClass.get(type);
        String annotated = type.isAnnotationPresent(MessageName.class) ? type.getAnnotation(MessageName.class).value() : null;
        String name = explicitName != null ? explicitName : annotated;
        if (name == null) {
            if (known != null) {
                return known;
            }
            problems.add(type.getName() + " has no message name: annotate it with @MessageName(\"v1.entity.verb\")"
                    + " or register it with message(" + type.getSimpleName() + ".class, \"v1.entity.verb\")");
            return null;
        }
        if (explicitName != null && annotated != null && !annotated.equals(explicitName)) {
            problems.add(type.getName() + " is registered under two names: '" + annotated + "' (@MessageName) and '"
                    + explicitName + "'; a type has exactly one name");
            return null;
        }
        if (known != null) {
            if (!known.name().equals(name)) {
                problems.add(type.getName() + " is registered under two names: '" + known.name() + "' and '" + name
                        + "'; a type has exactly one name");
            }
            return known;
        }
        if (!NAME.matcher(name).matches()) {
            problems.add(type.getName() + " has the invalid message name '" + name
                    + "': the rule is v<version>.<entity>.<verb>, lower case, e.g. v1.order.placed");
            return null;
        }
        boolean isEvent = Event.class.isAssignableFrom(type);
        boolean isCommand = Command.class.isAssignableFrom(type);
        if (isEvent == isCommand) {
            problems.add(type.getName() + " ('" + name + "') must implement exactly one of dev.courier.Event or"
                    + " dev.courier.Command");
            return null;
        }
        MessageType other = byName.get(name);
        if (other != null) {
            problems.add("the message name '" + name + "' is used by two types: " + other.javaType().getName()
                    + " and " + type.getName() + "; a name belongs to exactly one type");
            return null;
        }
        MessageType mt = new MessageType(name, type, isEvent ? MessageType.Kind.EVENT : MessageType.Kind.COMMAND);
        byClass.put(type, mt);
        byName.put(name, mt);
        return mt;
    }

    public MessageType byClass(Class<?> type) {
        return byClass.get(type);
    }

    public MessageType byName(String name) {
        return byName.get(name);
    }

    public Collection<MessageType> all() {
        return List.copyOf(byClass.values());
    }

    /** Looks up, or registers at run time, a type used without being declared (validated the same way). */
    public synchronized MessageType resolve(Class<?> type) {
        MessageType mt = byClass.get(type);
        if (mt != null) {
            return mt;
        }
        List<String> problems = new ArrayList<>();
        mt = register(type, null, problems);
        if (mt == null) {
            throw new dev.courier.ConfigurationException(problems);
        }
        return mt;
    }
}
