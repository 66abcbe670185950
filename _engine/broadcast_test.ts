/**
 * Broadcast's audio hold: audio waits for the next video frame to share its
 * write to each TCP reader, bounded by one timer per stream; UDP readers get
 * everything at once; the order of frames never changes.
 */

import assert from "node:assert/strict";
import { Broadcast, MAX_AUDIO_HOLD_MS } from "./broadcast.ts";
import { DropGate } from "./fanout/drop_gate.ts";
import { type FrameDelivery, mediaFrame } from "./fanout/media_frame.ts";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { testSession } from "../_testing/sessions.ts";
import type { Reader, ReceptionStats } from "./reader.ts";

/**
 * A reader that writes what it is given within one task as one write, like a
 * TCP reader's connection writer: `endTask()` marks where a task ends.
 */
class Recorder implements Reader {
  readonly session;
  readonly gate = new DropGate();
  readonly reception = new Map<number, ReceptionStats>();
  ignoredReportBlocks = 0;
  readonly joinsWrites: boolean;
  /** One entry per write: the labels of its frames, space-separated. */
  readonly writes: string[] = [];
  #task: string[] = [];

  constructor(id: string, joinsWrites: boolean) {
    this.session = testSession({ id });
    this.joinsWrites = joinsWrites;
  }

  deliver(delivery: FrameDelivery): void {
    this.#task.push(labelOf(delivery));
  }

  rtcp(): void {}

  endTask(): void {
    if (this.#task.length > 0) this.writes.push(this.#task.join(" "));
    this.#task = [];
  }
}

/** Frame labels by packet: "k" keyframe, "v" picture, "a" audio, then the step that sent it. */
const labels = new WeakMap<Uint8Array, string>();
function frame(kind: "k" | "v" | "a", step: number) {
  const packet = new Uint8Array(12);
  labels.set(packet, `${kind}${step}`);
  return kind === "a"
    ? mediaFrame(1, [packet], false, false)
    : mediaFrame(0, [packet], true, kind === "k");
}
function labelOf(delivery: FrameDelivery): string {
  return labels.get(delivery.frame.packets[0])!;
}

/**
 * A step: a frame sent ("k", "v", "a"), the clock moved (a number of ms),
 * another TCP reader attached ("join"), the TCP reader detached ("leave"),
 * or `flush()` called (a Sender Report to pass on, a publisher gone).
 */
type Step = "k" | "v" | "a" | number | "join" | "leave" | "flush";

const cases: {
  name: string;
  steps: Step[];
  /** The writes the TCP reader gets, one string per write. */
  tcp: string[];
  /** What the UDP reader gets (one entry per task); default: every frame at once. */
  udp?: string[];
  /** Timers left at the end. @default 0 */
  pending?: number;
}[] = [
  {
    name: "audio waits for the next picture and leaves in its write, before it",
    steps: ["k", "a", "a", "v", "a", "v"],
    tcp: ["k0", "a1 a2 v3", "a4 v5"],
  },
  {
    name: "the timer lets audio go when no picture comes (video stalled)",
    steps: ["k", "a", MAX_AUDIO_HOLD_MS - 1, "a", 1, "a", MAX_AUDIO_HOLD_MS, "v"],
    tcp: ["k0", "a1 a3", "a5", "v7"],
  },
  {
    name: "a picture before the timer cancels it",
    steps: ["k", "a", "v", 10 * MAX_AUDIO_HOLD_MS],
    tcp: ["k0", "a1 v2"],
  },
  {
    name: "audio before any video is not held (an audio-only stream keeps its pace)",
    steps: ["a", "a", 10 * MAX_AUDIO_HOLD_MS, "a"],
    tcp: ["a0", "a1", "a3"],
  },
  {
    name: "a new TCP reader first lets the held audio go to the others (it gets it from the GOP)",
    steps: ["k", "a", "join", "v"],
    tcp: ["k0", "a1", "v3"],
  },
  {
    name: "flush() lets held audio go at once",
    steps: ["k", "a", "flush", "a", "v"],
    tcp: ["k0", "a1", "a3 v4"],
  },
  {
    name: "when the last TCP reader leaves, nothing is held and no timer is left",
    steps: ["k", "a", "leave", "a", "v"],
    tcp: ["k0"],
    udp: ["k0", "a1", "a3", "v4"],
  },
  {
    name: "a timer left armed while audio waits",
    steps: ["k", "a"],
    tcp: ["k0"],
    pending: 1,
  },
];

for (const c of cases) {
  Deno.test(`Broadcast audio hold: ${c.name}`, () => {
    const clock = new ManualScheduler();
    const broadcast = new Broadcast({
      holdAudio: { scheduler: clock, maxHoldMs: MAX_AUDIO_HOLD_MS },
    });
    const tcp = new Recorder("tcp", true);
    const udp = new Recorder("udp", false);
    const others: Recorder[] = [];
    broadcast.attach(tcp);
    broadcast.attach(udp);
    const endTask = () => [tcp, udp, ...others].forEach((r) => r.endTask());
    c.steps.forEach((step, i) => {
      if (typeof step === "number") {
        // Each timer that fires is a task of its own.
        for (let ms = 0; ms < step; ms++) {
          clock.advance(1);
          endTask();
        }
        return;
      }
      if (step === "join") {
        const other = new Recorder(`tcp${i}`, true);
        others.push(other);
        broadcast.attach(other);
      } else if (step === "leave") broadcast.detach("tcp");
      else if (step === "flush") broadcast.flush();
      else broadcast.send(frame(step, i));
      endTask();
    });
    assert.deepEqual(tcp.writes, c.tcp);
    const sent = c.steps.flatMap((s, i) => s === "k" || s === "v" || s === "a" ? [`${s}${i}`] : []);
    assert.deepEqual(udp.writes, c.udp ?? sent, "a UDP reader is never held");
    assert.equal(clock.pending, c.pending ?? 0);
    // Whatever the grouping, each reader gets the frames in the order they came.
    const joinedTcp = tcp.writes.join(" ").split(" ").filter(Boolean);
    assert.deepEqual(joinedTcp, sent.filter((l) => joinedTcp.includes(l)), "order kept");
    broadcast.clear();
    assert.equal(clock.pending, 0, "clear() cancels the timer");
  });
}

Deno.test("Broadcast without holdAudio gives audio to TCP readers at once", () => {
  const broadcast = new Broadcast();
  const tcp = new Recorder("tcp", true);
  broadcast.attach(tcp);
  ["k", "a", "v"].forEach((kind, i) => {
    broadcast.send(frame(kind as "k" | "a" | "v", i));
    tcp.endTask();
  });
  assert.deepEqual(tcp.writes, ["k0", "a1", "v2"]);
  assert.equal(broadcast.heldFrames, 0);
});

Deno.test("Broadcast audio hold: a TCP reader joining mid-GOP gets the held audio once, from the GOP", () => {
  const clock = new ManualScheduler();
  const broadcast = new Broadcast({
    holdAudio: { scheduler: clock, maxHoldMs: MAX_AUDIO_HOLD_MS },
  });
  const first = new Recorder("first", true);
  broadcast.attach(first);
  broadcast.send(frame("k", 0));
  broadcast.send(frame("a", 1));
  assert.equal(broadcast.heldFrames, 1);
  const late = new Recorder("late", true);
  broadcast.attach(late);
  late.endTask();
  assert.deepEqual(late.writes, ["k0 a1"], "the GOP, held audio included");
  broadcast.send(frame("v", 2));
  late.endTask();
  first.endTask();
  assert.deepEqual(late.writes, ["k0 a1", "v2"], "not sent twice");
  assert.deepEqual(first.writes, ["k0 a1 v2"]);
  broadcast.clear();
});
