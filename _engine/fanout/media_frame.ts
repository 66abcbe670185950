/**
 * One access unit as RTP packets, the unit in which media is fanned out, and
 * its interleaved form (RFC 2326, 10.12) built once per channel for every TCP reader.
 * @module
 */

import { INTERLEAVED_HEADER_BYTES, writeInterleavedHeader } from "../../_rtsp/interleaved.ts";
import { concatBytes } from "../../_rtsp/bytes.ts";

/** The packets of one access unit of one track. */
export interface MediaFrame {
  readonly trackIndex: number;
  /** Complete RTP packets, in order. */
  readonly packets: readonly Uint8Array[];
  /** A video track (frames depend on earlier ones until the next keyframe). */
  readonly video: boolean;
  /** A video keyframe; always true for audio. */
  readonly keyframe: boolean;
  /** Sum of the packet sizes. */
  readonly bytes: number;
}

/** Builds a frame, summing its size once. */
export function mediaFrame(
  trackIndex: number,
  packets: readonly Uint8Array[],
  video: boolean,
  keyframe: boolean,
): MediaFrame {
  let bytes = 0;
  for (const p of packets) bytes += p.length;
  return { trackIndex, packets, video, keyframe: keyframe || !video, bytes };
}

/**
 * All packets of a frame as one buffer of `$`-framed chunks on `channel`, so a
 * TCP reader gets one write per frame instead of one per packet.
 */
export function interleave(channel: number, packets: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of packets) total += INTERLEAVED_HEADER_BYTES + p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of packets) {
    at = writeInterleavedHeader(out, at, channel, p.length);
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A frame being fanned out: its interleaved form is built at most once per
 * channel, and shared by every TCP reader using that channel.
 */
export class FrameDelivery {
  readonly frame: MediaFrame;
  #byChannel: Map<number, Uint8Array> | undefined;

  /** @param frame the frame to deliver */
  constructor(frame: MediaFrame) {
    this.frame = frame;
  }

  /** The frame as interleaved data on `channel`, built on first use. */
  interleaved(channel: number): Uint8Array {
    this.#byChannel ??= new Map();
    let bytes = this.#byChannel.get(channel);
    if (bytes === undefined) {
      bytes = interleave(channel, this.frame.packets);
      this.#byChannel.set(channel, bytes);
    }
    return bytes;
  }
}

/** A key naming a reader's channel layout (track index → RTP channel), to share what is built for it. */
export function channelLayoutKey(channels: ReadonlyMap<number, number>): string {
  return [...channels].map(([track, channel]) => `${track}:${channel}`).join(",");
}

/**
 * Frames handed to TCP readers together (held audio and the picture that
 * follows it, see `broadcast.ts`), with their interleaved form joined once
 * per channel layout: readers with the same channels, usually all of them,
 * queue one shared buffer, not a copy each.
 */
export class FrameBatch {
  readonly deliveries: readonly FrameDelivery[];
  #byLayout: Map<string, Uint8Array> | undefined;

  /** @param deliveries the frames, in the order they are to be sent */
  constructor(deliveries: readonly FrameDelivery[]) {
    this.deliveries = deliveries;
  }

  /**
   * The frames of the tracks in `channels` as interleaved data back to back,
   * built on first use per `key` (see {@linkcode channelLayoutKey}).
   */
  interleaved(key: string, channels: ReadonlyMap<number, number>): Uint8Array {
    this.#byLayout ??= new Map();
    let bytes = this.#byLayout.get(key);
    if (bytes === undefined) {
      const parts: Uint8Array[] = [];
      for (const delivery of this.deliveries) {
        const channel = channels.get(delivery.frame.trackIndex);
        if (channel !== undefined) parts.push(delivery.interleaved(channel));
      }
      bytes = concatBytes(...parts);
      this.#byLayout.set(key, bytes);
    }
    return bytes;
  }
}
