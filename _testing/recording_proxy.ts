/**
 * A TCP proxy on port 0 that records what clients send, to see which
 * authentication scheme a real client picks.
 */

/** A running proxy; `await using` stops it. */
export interface RecordingProxy extends AsyncDisposable {
  readonly port: number;
  /** Everything clients sent, decoded as text. */
  sent(): string;
}

/** Forwards 127.0.0.1:<port> to 127.0.0.1:`target`, recording the client side. */
export function startRecordingProxy(target: number): RecordingProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let text = "";
  const decoder = new TextDecoder();
  const pipes: Promise<unknown>[] = [];
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.push(client, server);
      const record = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          text += decoder.decode(chunk, { stream: true });
          controller.enqueue(chunk);
        },
      });
      pipes.push(client.readable.pipeThrough(record).pipeTo(server.writable).catch(() => {}));
      pipes.push(server.readable.pipeTo(client.writable).catch(() => {}));
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    sent: () => text,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.allSettled(pipes);
    },
  };
}
