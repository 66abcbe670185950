import assert from "node:assert/strict";
import { type Frame, MessageFramer } from "./framer.ts";
import { MAX_HEAD_BYTES } from "./limits.ts";
import { STATUS } from "./status.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** Pushes all of `input` and collects every frame, copying interleaved payloads. */
function frameAll(framer: MessageFramer, input: Uint8Array): Frame[] {
  framer.push(input);
  const out: Frame[] = [];
  for (let f = framer.next(); f; f = framer.next()) {
    out.push(f.kind === "interleaved" ? { ...f, payload: f.payload.slice() } : f);
  }
  return out;
}

/** A compact, comparable summary of a frame. */
function summary(f: Frame): string {
  switch (f.kind) {
    case "request":
      return `${f.request.method} ${f.request.uri} cseq=${
        f.request.headers.get("cseq")
      } body=${f.request.body.length}`;
    case "interleaved":
      return `$${f.channel} ${[...f.payload].join(",")}`;
    case "response":
      return `response ${f.status}`;
    case "error":
      return `error ${f.status} cseq=${f.cseq}`;
  }
}

const ffmpegCapture = await Deno.readFile(
  new URL("./testdata/ffmpeg_5.1_play.txt", import.meta.url),
);
const gstCapture = await Deno.readFile(
  new URL("./testdata/gstreamer_1.22_play_tcp.txt", import.meta.url),
);

/** Streams of bytes and the frames they hold, in order. */
const VECTORS: ReadonlyArray<{ name: string; input: Uint8Array; frames: string[] }> = [
  {
    name: "ffmpeg 5.1 OPTIONS..PLAY (captured)",
    input: ffmpegCapture,
    frames: [
      "OPTIONS rtsp://127.0.0.1:554/test cseq=1 body=0",
      "DESCRIBE rtsp://127.0.0.1:554/test cseq=2 body=0",
      "SETUP rtsp://127.0.0.1:554/test/trackID=0 cseq=3 body=0",
      "SETUP rtsp://127.0.0.1:554/test/trackID=0 cseq=4 body=0",
      "SETUP rtsp://127.0.0.1:554/test/trackID=1 cseq=5 body=0",
      "PLAY rtsp://127.0.0.1:554/test/ cseq=6 body=0",
    ],
  },
  {
    name: "GStreamer 1.22 OPTIONS..PLAY over TCP (captured)",
    input: gstCapture,
    frames: [
      "OPTIONS rtsp://127.0.0.1:554/test cseq=1 body=0",
      "DESCRIBE rtsp://127.0.0.1:554/test cseq=2 body=0",
      "SETUP rtsp://127.0.0.1:554/test/trackID=0 cseq=3 body=0",
      "SETUP rtsp://127.0.0.1:554/test/trackID=1 cseq=4 body=0",
      "PLAY rtsp://127.0.0.1:554/test/ cseq=5 body=0",
    ],
  },
  {
    name: "body by Content-Length, then interleaved RTCP, then a request",
    input: new Uint8Array([
      ...bytes(
        "SET_PARAMETER rtsp://h/test RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 5\r\n\r\nab\r\nc",
      ),
      0x24,
      1,
      0,
      3,
      0x80,
      0xc9,
      0x00,
      ...bytes("GET_PARAMETER rtsp://h/test RTSP/1.0\r\nCSeq: 10\r\n\r\n"),
    ]),
    frames: [
      "SET_PARAMETER rtsp://h/test cseq=9 body=5",
      "$1 128,201,0",
      "GET_PARAMETER rtsp://h/test cseq=10 body=0",
    ],
  },
  {
    name: "interleaved frame whose payload looks like a request is not decoded",
    input: new Uint8Array([0x24, 0, 0, 4, ...bytes("\r\n\r\n"), 0x24, 2, 0, 0]),
    frames: ["$0 13,10,13,10", "$2 "],
  },
  {
    name: "bare LF line endings and stray CRLF between requests",
    input: bytes("OPTIONS * RTSP/1.0\nCSeq: 1\n\n\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n"),
    frames: ["OPTIONS * cseq=1 body=0", "OPTIONS * cseq=2 body=0"],
  },
  {
    name: "a client's response to the server is framed, with its body",
    input: bytes(
      "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 2\r\n\r\nokOPTIONS * RTSP/1.0\r\nCSeq: 4\r\n\r\n",
    ),
    frames: ["response 200", "OPTIONS * cseq=4 body=0"],
  },
  {
    name: "a status line without a reason phrase is a response",
    input: bytes("RTSP/1.0 200\r\nCSeq: 1\r\n\r\n"),
    frames: ["response 200"],
  },
];

Deno.test("MessageFramer gives a response's reason, headers and body (what a client reads)", () => {
  const frames = frameAll(
    new MessageFramer(),
    bytes(
      "RTSP/1.0 401 Unauthorized Here\r\nCSeq: 2\r\n" +
        'WWW-Authenticate: Basic realm="a"\r\nContent-Length: 3\r\n\r\nabc$\x00\x00\x01z',
    ),
  );
  assert.equal(frames.length, 2);
  const [first, second] = frames;
  assert.ok(first.kind === "response");
  assert.equal(first.status, 401);
  assert.equal(first.response.reason, "Unauthorized Here");
  assert.equal(first.response.headers.get("www-authenticate"), 'Basic realm="a"');
  assert.equal(new TextDecoder().decode(first.response.body), "abc");
  assert.deepEqual(second, { kind: "interleaved", channel: 0, payload: bytes("z") });
});

Deno.test("MessageFramer frames each vector whole", async (t) => {
  for (const v of VECTORS) {
    await t.step(v.name, () => {
      assert.deepEqual(frameAll(new MessageFramer(), v.input).map(summary), v.frames);
    });
  }
});

Deno.test("MessageFramer gives the same frames at every split point", async (t) => {
  for (const v of VECTORS) {
    await t.step(v.name, () => {
      for (let cut = 0; cut <= v.input.length; cut++) {
        const framer = new MessageFramer();
        const got = [
          ...frameAll(framer, v.input.slice(0, cut)),
          ...frameAll(framer, v.input.slice(cut)),
        ];
        assert.deepEqual(got.map(summary), v.frames, `split at ${cut}`);
      }
    });
  }
});

Deno.test("MessageFramer handles a stream sent one byte at a time", () => {
  for (const v of VECTORS) {
    const framer = new MessageFramer();
    const got: Frame[] = [];
    for (const b of v.input) got.push(...frameAll(framer, new Uint8Array([b])));
    assert.deepEqual(got.map(summary), v.frames, v.name);
    assert.equal(framer.buffered, 0);
  }
});

Deno.test("MessageFramer answers 50 pipelined requests in order", () => {
  const input = Array.from({ length: 50 }, (_, i) => `OPTIONS * RTSP/1.0\r\nCSeq: ${i + 1}\r\n\r\n`)
    .join("");
  const frames = frameAll(new MessageFramer(), bytes(input));
  assert.deepEqual(
    frames.map((f) => f.kind === "request" && f.request.headers.get("cseq")),
    Array.from({ length: 50 }, (_, i) => String(i + 1)),
  );
});

/** Hostile or broken inputs and the error each must give; the framer stops after it. */
const ERRORS: ReadonlyArray<{ name: string; input: Uint8Array; error: string }> = [
  {
    name: "garbage bytes with a newline",
    input: new Uint8Array([0x00, 0xff, 0x13, 0x37, 0x0a, 0x0a]),
    error: `error ${STATUS.BadRequest} cseq=undefined`,
  },
  {
    name: "a request line of one word",
    input: bytes("HELLO\r\nCSeq: 3\r\n\r\n"),
    error: `error ${STATUS.BadRequest} cseq=3`,
  },
  {
    name: "a header line with no colon",
    input: bytes("OPTIONS * RTSP/1.0\r\nCSeq: 4\r\nbroken\r\n\r\n"),
    error: `error ${STATUS.BadRequest} cseq=4`,
  },
  {
    name: "a negative Content-Length",
    input: bytes("ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 5\r\nContent-Length: -1\r\n\r\n"),
    error: `error ${STATUS.BadRequest} cseq=5`,
  },
  {
    name: "a non-numeric Content-Length",
    input: bytes("ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 6\r\nContent-Length: 1e3\r\n\r\n"),
    error: `error ${STATUS.BadRequest} cseq=6`,
  },
  {
    name: "a huge Content-Length",
    input: bytes(
      "ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 7\r\nContent-Length: 99999999999999\r\n\r\n",
    ),
    error: `error ${STATUS.RequestEntityTooLarge} cseq=7`,
  },
  {
    name: "a URL past the limit",
    input: bytes(`DESCRIBE rtsp://h/${"a".repeat(3000)} RTSP/1.0\r\nCSeq: 8\r\n\r\n`),
    error: `error ${STATUS.RequestUriTooLarge} cseq=8`,
  },
  {
    name: "a request line past the limit with no end",
    input: bytes(`DESCRIBE rtsp://h/${"a".repeat(5000)}`),
    error: `error ${STATUS.RequestUriTooLarge} cseq=undefined`,
  },
  {
    name: "a head past the limit with no blank line",
    input: bytes(`OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n${"X-Pad: y\r\n".repeat(MAX_HEAD_BYTES / 10)}`),
    error: `error ${STATUS.BadRequest} cseq=9`,
  },
  {
    name: "too many header fields",
    input: bytes(`OPTIONS * RTSP/1.0\r\nCSeq: 10\r\n${"X-A: 1\r\n".repeat(101)}\r\n`),
    error: `error ${STATUS.BadRequest} cseq=10`,
  },
];

Deno.test("MessageFramer turns hostile input into one error and stops", async (t) => {
  for (const v of ERRORS) {
    await t.step(v.name, () => {
      const framer = new MessageFramer();
      const frames = frameAll(framer, v.input);
      assert.deepEqual(frames.map(summary), [v.error]);
      assert.equal(framer.failed, true);
      assert.equal(framer.buffered, 0, "memory is released");
      assert.deepEqual(frameAll(framer, bytes("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")), []);
    });
  }
});

Deno.test("MessageFramer keeps memory bounded while 1 MiB arrives with no blank line", () => {
  const framer = new MessageFramer();
  const chunk = bytes("X".repeat(1024));
  framer.push(bytes("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n"));
  let error: Frame | undefined;
  for (let i = 0; i < 1024 && !error; i++) {
    framer.push(chunk);
    error = framer.next();
    assert.ok(framer.buffered <= MAX_HEAD_BYTES + chunk.length);
  }
  assert.equal(error?.kind, "error");
});

Deno.test("MessageFramer lowers limits from options", () => {
  const framer = new MessageFramer({ maxBodyBytes: 4 });
  const frames = frameAll(
    framer,
    bytes("SET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nhello"),
  );
  assert.deepEqual(frames.map(summary), [`error ${STATUS.RequestEntityTooLarge} cseq=2`]);
});
