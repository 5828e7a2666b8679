/** The in-memory transport (the embedded default, {@code memory:}) and the in-memory deduplication store. */
package dev.courier.memory;
