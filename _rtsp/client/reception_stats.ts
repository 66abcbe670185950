/**
 * What a receiver counts for its RTCP receiver reports (RFC 3550, 6.4.1 and
 * Appendix A): the extended highest sequence number with its cycles (A.1),
 * packets expected and lost (A.3), interarrival jitter (A.8), and the last
 * sender report for LSR/DLSR.
 * @module
 */

import { compactNtp, type ReportBlock, type RtcpSenderReport } from "../rtp/rtcp.ts";
import type { RtpHeader } from "../rtp/rtp_packet.ts";

/** RFC 3550, 5.1: sequence numbers are 16 bits. */
const SEQUENCE_MODULUS = 0x1_0000;
/** A sequence number this far ahead or more counts as old (RFC 3550, A.1 MAX_DROPOUT is 3000; half the space here). */
const HALF_SEQUENCE_SPACE = 0x8000;
/** RFC 3550, A.8: jitter is smoothed with gain 1/16. */
const JITTER_GAIN_DIVISOR = 16;
/** RFC 3550, 6.4.1: DLSR counts units of 1/65536 s. */
const DLSR_UNITS_PER_SECOND = 65536;
/** RFC 3550, 6.4.1: the fraction lost is 8-bit fixed point. */
const FRACTION_SHIFT_BITS = 8;

/** Reception statistics of one source (the server's sender of one track). */
export class ReceptionStats {
  readonly #clockRate: number;
  #ssrc: number | undefined;
  #baseSequence = 0;
  #maxSequence = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #lastTransit: number | undefined;
  #jitter = 0;
  #lastSr = 0;
  #lastSrAtMs: number | undefined;

  /** @param clockRate the track's RTP clock, Hz (for jitter in timestamp units) */
  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Counts one RTP packet that arrived at `arrivalMs`. A new SSRC starts over. */
  onRtp(header: RtpHeader, arrivalMs: number): void {
    const seq = header.sequenceNumber;
    if (this.#ssrc !== header.ssrc) {
      this.#ssrc = header.ssrc;
      this.#baseSequence = seq;
      this.#maxSequence = seq;
      this.#cycles = 0;
      this.#received = 0;
      this.#expectedPrior = 0;
      this.#receivedPrior = 0;
      this.#lastTransit = undefined;
      this.#jitter = 0;
      this.#lastSrAtMs = undefined;
    } else {
      const delta = (seq - this.#maxSequence + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
      if (delta !== 0 && delta < HALF_SEQUENCE_SPACE) {
        if (seq < this.#maxSequence) this.#cycles += SEQUENCE_MODULUS;
        this.#maxSequence = seq;
      }
    }
    this.#received++;
    // RFC 3550, A.8: transit time in timestamp units; only its changes matter.
    const arrival = (arrivalMs * this.#clockRate) / 1000;
    const transit = arrival - header.timestamp;
    if (this.#lastTransit !== undefined) {
      let d = transit - this.#lastTransit;
      // The RTP timestamp wraps at 2^32: take the short way round.
      d = Math.abs(((d % 0x1_0000_0000) + 0x1_8000_0000) % 0x1_0000_0000 - 0x8000_0000);
      this.#jitter += (d - this.#jitter) / JITTER_GAIN_DIVISOR;
    }
    this.#lastTransit = transit;
  }

  /** Notes a sender report of this source that arrived at `arrivalMs`. */
  onSenderReport(sr: RtcpSenderReport, arrivalMs: number): void {
    if (this.#ssrc !== undefined && sr.ssrc !== this.#ssrc) return;
    this.#lastSr = compactNtp(sr.ntp);
    this.#lastSrAtMs = arrivalMs;
  }

  /** The report block for now, or undefined before any packet; moves the fraction-lost interval on. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (this.#ssrc === undefined) return undefined;
    const highestSequence = this.#cycles + this.#maxSequence;
    const expected = highestSequence - this.#baseSequence + 1;
    const expectedInterval = expected - this.#expectedPrior;
    const lostInterval = expectedInterval - (this.#received - this.#receivedPrior);
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0
      ? 0
      : Math.floor((lostInterval << FRACTION_SHIFT_BITS) / expectedInterval);
    const sinceSr = this.#lastSrAtMs === undefined ? 0 : nowMs - this.#lastSrAtMs;
    return {
      ssrc: this.#ssrc,
      fractionLost: Math.min(fractionLost, 0xff),
      cumulativeLost: expected - this.#received,
      highestSequence: highestSequence >>> 0,
      jitter: Math.floor(this.#jitter),
      lastSr: this.#lastSrAtMs === undefined ? 0 : this.#lastSr,
      delaySinceLastSr: Math.floor((sinceSr * DLSR_UNITS_PER_SECOND) / 1000),
    };
  }
}
