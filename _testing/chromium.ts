/**
 * Headless Chromium driven over the Chrome DevTools Protocol, with nothing
 * but Deno's own WebSocket: enough to load a page, send headers, read the DOM
 * and take a screenshot.
 */

/** What a CDP command answers. */
type CdpResult = Record<string, unknown>;

/** One page of a headless Chromium; `await using` ends the browser. */
export class HeadlessPage implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #sessionId = "";
  #nextId = 1;
  #pending = new Map<number, PromiseWithResolvers<CdpResult>>();
  #profile: string;
  /** DevTools events of the page (`Media.playerErrors`, ...), for whoever enabled their domain. */
  onEvent: (method: string, params: Record<string, unknown>) => void = () => {};

  private constructor(child: Deno.ChildProcess, socket: WebSocket, profile: string) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (message.id === undefined && typeof message.method === "string") {
        this.onEvent(message.method, message.params ?? {});
        return;
      }
      const waiting = this.#pending.get(message.id);
      if (!waiting) return;
      this.#pending.delete(message.id);
      if (message.error) waiting.reject(new Error(JSON.stringify(message.error)));
      else waiting.resolve(message.result ?? {});
    };
  }

  /**
   * Starts `chromium --headless` and opens one blank page.
   * @param executable the browser binary @default "chromium"
   */
  static async launch(
    options: { executable?: string; width?: number; height?: number } = {},
  ): Promise<HeadlessPage> {
    const profile = await Deno.makeTempDir({ prefix: "rtsp-ts-chromium-" });
    const child = new Deno.Command(options.executable ?? "chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        `--window-size=${options.width ?? 1100},${options.height ?? 700}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The browser says where its DevTools endpoint is on stderr.
    const decoder = new TextDecoder();
    let text = "";
    const reader = child.stderr.getReader();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    let endpoint: string | undefined;
    while (endpoint === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    clearTimeout(timer);
    // Keep draining stderr so the browser never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done) { /* drained */ }
    })().catch(() => {});
    if (endpoint === undefined) throw new Error(`chromium did not start:\n${text}`);
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
    const page = new HeadlessPage(child, socket, profile);
    const { targetId } = await page.#send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await page.#send("Target.attachToTarget", { targetId, flatten: true });
    page.#sessionId = String(sessionId);
    await page.send("Page.enable");
    await page.send("Network.enable");
    return page;
  }

  #send(method: string, params: Record<string, unknown> = {}, sessionId?: string) {
    const id = this.#nextId++;
    const reply = Promise.withResolvers<CdpResult>();
    this.#pending.set(id, reply);
    this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return reply.promise;
  }

  /** Sends a CDP command to the page. */
  send(method: string, params: Record<string, unknown> = {}): Promise<CdpResult> {
    return this.#send(method, params, this.#sessionId);
  }

  /** Loads `url`. */
  async goto(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
  }

  /** The value of a JavaScript expression in the page (JSON-serializable). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: unknown };
    if (exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(exceptionDetails)}`);
    return result.value;
  }

  /** Polls `expression` until it is truthy; false after `timeoutMs`. */
  async waitFor(expression: string, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.evaluate<boolean>(`Boolean(${expression})`)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** A PNG of the page as it is shown. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    const binary = atob(String(data));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      const closed = new Promise((resolve) => this.#socket.onclose = resolve);
      // The browser may go before it answers: wait for the socket, not the reply.
      this.#send("Browser.close").catch(() => {});
      const timer = setTimeout(() => this.#socket.close(), 3000);
      await closed;
      clearTimeout(timer);
    } finally {
      const timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await this.#child.status;
      clearTimeout(timer);
      await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
    }
  }
}

/**
 * Page script that appends a muted, autoplaying `<video id=ID>` playing `src`
 * by the browser's own means (native HLS for a playlist); evaluates to true.
 */
export function nativeVideoScript(src: string, id = "v"): string {
  return `(() => {
    const video = document.createElement("video");
    video.id = ${JSON.stringify(id)};
    video.muted = true;
    video.autoplay = true;
    video.src = ${JSON.stringify(src)};
    document.body.append(video);
    return true;
  })()`;
}
