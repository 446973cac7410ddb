package io.nsqpush.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The allowed values of a numeric or duration option of a component's {@code @UriParams} class, next to its default, as go-nsq's
 * config struct tags declare them: validation, the README's option table and the bridge's settings all read it from
 * here (see {@link Options}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface OptionRange {

    /** Smallest allowed value: a whole number, or a duration such as {@code 1s} for a duration option. */
    String min();

    /** Largest allowed value, as {@link #min()}. */
    String max();
}
