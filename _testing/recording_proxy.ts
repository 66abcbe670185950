/**
 * A TCP proxy on port 0 that records what clients send, to see which
 * authentication scheme a real client picks; it may also rewrite the requests
 * clients send (to make a server do something else than they asked).
 */

/** A running proxy; `await using` stops it. */
export interface RecordingProxy extends AsyncDisposable {
  readonly port: number;
  /** Everything clients sent, decoded as text. */
  sent(): string;
}

/** A rewrite of one chunk of request text a client sent. */
export type RequestRewrite = (text: string) => string;

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Applies `rewrite` to a chunk that is request text (valid UTF-8 starting with
 * a letter); interleaved binary data passes unchanged.
 */
function rewriteChunk(chunk: Uint8Array, rewrite: RequestRewrite): Uint8Array {
  if (chunk.length === 0 || !/[A-Z]/.test(String.fromCharCode(chunk[0]))) return chunk;
  try {
    return encoder.encode(rewrite(strictDecoder.decode(chunk)));
  } catch {
    return chunk;
  }
}

/**
 * Forwards 127.0.0.1:<port> to 127.0.0.1:`target`, recording the client side,
 * and rewriting request chunks with `rewrite` when given.
 */
export function startRecordingProxy(target: number, rewrite?: RequestRewrite): RecordingProxy {
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
          controller.enqueue(rewrite ? rewriteChunk(chunk, rewrite) : chunk);
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
