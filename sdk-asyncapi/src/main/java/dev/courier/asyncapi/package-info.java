/**
 * AsyncAPI 3.0.0 contracts generated from a running bus: {@link dev.courier.asyncapi.AsyncApi} for one
 * service, {@link dev.courier.asyncapi.SystemContract} to merge several services' documents and find
 * messages that are sent but never handled, or handled but never sent.
 */
package dev.courier.asyncapi;
