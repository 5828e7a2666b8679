package dev.courier.websocket.hub;

import java.util.HashMap;
import java.util.Map;

/**
 * Names owned by principals, counted per holder: the hub keeps one for message ids (whose events a
 * principal's connections then see) and one for reply addresses (the first principal to subscribe owns
 * one). A name is freed when its last holder lets it go. Thread-safe.
 */
final class Claims {
    private final Map<String, Owner> owners = new HashMap<>(); // guarded by itself

    /** Who owns a name, and how many subscriptions or connections hold it. */
    private static final class Owner {
        final String principal;
        int holders;

        Owner(String principal) {
            this.principal = principal;
        }
    }

    /** True when {@code principal} may hold {@code name}: it is unclaimed or already this principal's; counts one holder. */
    boolean claim(String name, String principal) {
        synchronized (owners) {
            Owner o = owners.computeIfAbsent(name, a -> new Owner(principal));
            if (!o.principal.equals(principal)) {
                return false;
            }
            o.holders++;
            return true;
        }
    }

    /** Lets one holder of {@code name} go; the last one frees it. */
    void release(String name) {
        synchronized (owners) {
            Owner o = owners.get(name);
            if (o != null && --o.holders <= 0) {
                owners.remove(name);
            }
        }
    }

    int size() {
        synchronized (owners) {
            return owners.size();
        }
    }
}
