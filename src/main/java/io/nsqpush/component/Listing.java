package io.nsqpush.component;

import java.util.List;

/** Lists that may be long (addresses from a broken lookupd) in a log line or a health text: a few, then a count. */
final class Listing {

    static final int FEW = 5;

    private Listing() {
    }

    /** @return {@code a, b, c, d, e and 9995 more}, or all of them when there are at most {@link #FEW} */
    static String firstFew(List<String> items) {
        return firstFew(items, ", ");
    }

    static String firstFew(List<String> items, String separator) {
        String head = String.join(separator, items.subList(0, Math.min(FEW, items.size())));
        return items.size() <= FEW ? head : head + " and " + (items.size() - FEW) + " more";
    }
}
