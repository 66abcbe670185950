/**
 * Whether a fragment goes to one slow consumer of an `Fmp4Stream`
 * (a WebSocket reader): while the consumer's unsent bytes stay under a bound
 * every fragment goes; past it, fragments are dropped (and counted) up to the
 * next keyframe fragment that finds the backlog back under the bound. A
 * decoder fed through Media Source Extensions can only resume at a random
 * access point (ISO/IEC 14496-12, 8.8.8 `trun` first-sample flags; W3C Media
 * Source Extensions, 3.5.8 "coded frame processing": after a gap, frames up to
 * the next random access point are dropped by the browser anyway), so
 * sending the frames between would only waste the link.
 *
 * Pure: the caller reads the backlog (`WebSocket.bufferedAmount`) and passes it in.
 * @module
 */

/** Default bound on a consumer's unsent bytes: about 10 s of a 3 Mbit/s stream. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** What the gate does with fragments now. */
export type SendGateState =
  /** Every fragment goes. */
  | "passing"
  /** Fragments are dropped until a keyframe finds the backlog under the bound. */
  | "dropping-to-keyframe";

/** Decides, fragment by fragment, what one consumer gets. */
export class Fmp4SendGate {
  readonly #maxBufferedBytes: number;
  #state: SendGateState = "passing";
  #dropped = 0;
  #droppedBytes = 0;
  #dropRuns = 0;

  /** @param maxBufferedBytes the backlog past which fragments are dropped @default {MAX_BUFFERED_BYTES} */
  constructor(maxBufferedBytes: number = MAX_BUFFERED_BYTES) {
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Passing, or dropping up to a keyframe. */
  get state(): SendGateState {
    return this.#state;
  }

  /** Fragments dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes of the fragments dropped so far. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** Times the gate started dropping. */
  get dropRuns(): number {
    return this.#dropRuns;
  }

  /**
   * Whether to send `fragment` now.
   * @param fragment the next fragment (its `keyframe` flag and size matter)
   * @param bufferedBytes the consumer's unsent bytes now
   * @returns true to send it, false when it is dropped (and counted)
   *
   * @example
   * ```ts
   * const gate = new Fmp4SendGate(1000);
   * gate.admit({ keyframe: false, bytes: new Uint8Array(10) }, 5000); // false: dropping
   * gate.admit({ keyframe: true, bytes: new Uint8Array(10) }, 0); // true: resumed at a keyframe
   * ```
   */
  admit(
    fragment: { readonly keyframe: boolean; readonly bytes: Uint8Array },
    bufferedBytes: number,
  ): boolean {
    const over = bufferedBytes > this.#maxBufferedBytes;
    if (this.#state === "passing" && over) {
      this.#state = "dropping-to-keyframe";
      this.#dropRuns++;
    } else if (this.#state === "dropping-to-keyframe" && fragment.keyframe && !over) {
      this.#state = "passing";
    }
    if (this.#state === "passing") return true;
    this.#dropped++;
    this.#droppedBytes += fragment.bytes.length;
    return false;
  }
}
