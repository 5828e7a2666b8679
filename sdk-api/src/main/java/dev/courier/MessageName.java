package dev.courier;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The versioned wire name of a message type: {@code v<version>.<entity>.<verb>}, lower case,
 * e.g. {@code v1.order.placed}. The name, never the Java class name, is what travels, so renaming
 * a class breaks nobody. A new incompatible shape is a new version ({@code v2.order.placed}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface MessageName {
    /** @return the wire name, e.g. {@code v1.order.placed} */
    String value();
}
