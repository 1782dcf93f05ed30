const received = new WeakMap<object, Uint8Array>();

/**
 * Runs `consume` with `body` on record as the OTLP protobuf request that `data` was decoded from,
 * until `consume` settles. A receiver wraps its hand-over in it, so that a consumer that must store
 * the request as protobuf (the durable queue) can take the bytes as they arrived: encoding a
 * request costs about as much CPU as decoding it.
 *
 * Only an unchanged `data` matches its body, and nothing in the record can tell: a component may
 * read it only where nothing before it changes data in place (the durable queue's predecessors
 * only read). A copy is a new object, so it has no body on record.
 */
export async function withReceivedProtobuf<Result>(
  data: object,
  body: Uint8Array,
  consume: () => Promise<Result>,
): Promise<Result> {
  received.set(data, body);
  try {
    return await consume();
  } finally {
    // The receiver holds the body no longer than this anyway; the record must not outlive it.
    received.delete(data);
  }
}

/** The protobuf request `data` was decoded from, while its receiver hands it over; see withReceivedProtobuf. */
export function receivedProtobuf(data: object): Uint8Array | undefined {
  return received.get(data);
}
