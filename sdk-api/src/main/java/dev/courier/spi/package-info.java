/**
 * The Transport SPI: what a transport module implements. Users rarely touch it; the message name
 * is the address. Semantics are fixed by the conformance kit in sdk-api's test-jar.
 */
package dev.courier.spi;
