/**
 * H.264 over RTP, RFC 6184 packetization-mode=1 (non-interleaved): single NAL
 * unit packets (5.6), STAP-A (5.7.1) for SPS+PPS ahead of each IDR, and FU-A
 * (5.8) for NAL units larger than the maximum payload.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import {
  type Packetizer,
  type RtpDepacketizerOptions,
  type RtpPacketizerOptions,
  RtpPacketWriter,
} from "./packetizer.ts";
import { NalAssembler, type NalPayloadReader } from "./nal_depacketizer.ts";
import {
  FU_END_FLAG,
  FU_START_FLAG,
  type NalPayloadFormat,
  packetizeNalUnits,
  ParameterSetInjector,
  type ParameterSetRules,
} from "./nal_packetizer.ts";

/** NAL unit types used here (H.264 Table 7-1; RFC 6184, 5.2 Table 1 for 24..29). */
export const H264NalType = {
  /** Coded slice of a non-IDR picture. */
  NonIdrSlice: 1,
  /** Coded slice of an IDR picture: a random access point. */
  IdrSlice: 5,
  /** Supplemental enhancement information. */
  Sei: 6,
  /** Sequence parameter set. */
  Sps: 7,
  /** Picture parameter set. */
  Pps: 8,
  /** Access unit delimiter. */
  Aud: 9,
  /** RFC 6184, 5.7.1: single-time aggregation packet. */
  StapA: 24,
  /** RFC 6184, 5.8: fragmentation unit without DON. */
  FuA: 28,
} as const;

/** One of the {@linkcode H264NalType} values. */
export type H264NalType = typeof H264NalType[keyof typeof H264NalType];

/** H.264 7.3.1: nal_unit_type, low 5 bits of the NAL header. */
const NAL_TYPE_MASK = 0x1f;
/** H.264 7.3.1: forbidden_zero_bit (F in RFC 6184, 5.3). */
const FORBIDDEN_BIT = 0x80;
/** H.264 7.3.1: nal_ref_idc (NRI in RFC 6184, 5.3), 2 bits. */
const NRI_MASK = 0x60;
/** RFC 6184, 5.2: types 1..23 are single NAL unit packets. */
const FIRST_SINGLE_NAL_TYPE = 1;
/** RFC 6184, 5.2: types 1..23 are single NAL unit packets. */
const LAST_SINGLE_NAL_TYPE = 23;
/** H.264 7.4.1: an aggregated NAL unit has at least its header byte. */
const MIN_NAL_SIZE_BYTES = 1;
/** H.264 7.3.1: the NAL unit header is one byte. */
const NAL_HEADER_SIZE_BYTES = 1;
/** RFC 6184, 5.7.1: STAP-A header is one NAL-header-shaped byte. */
const STAP_A_HEADER_SIZE_BYTES = 1;
/** RFC 6184, 5.8: FU indicator + FU header. */
const FU_A_HEADER_SIZE_BYTES = 2;

/** NAL unit type of an H.264 NAL unit (H.264 7.3.1). */
export function h264NalType(nal: Uint8Array): number {
  return nal[0] & NAL_TYPE_MASK;
}

/** RFC 6184 header layouts, for the shared NAL packetizer. */
const H264_FORMAT: NalPayloadFormat = {
  nalHeaderSize: NAL_HEADER_SIZE_BYTES,
  aggregationHeaderSize: STAP_A_HEADER_SIZE_BYTES,
  fuHeaderSize: FU_A_HEADER_SIZE_BYTES,
  nalType: h264NalType,
  writeAggregationHeader(into, offset, nals) {
    // RFC 6184, 5.7: F is the OR of the aggregated F bits; NRI "MUST be the
    // maximum of all the NAL units carried in the aggregation packet".
    let forbidden = 0;
    let nri = 0;
    for (const nal of nals) {
      forbidden |= nal[0] & FORBIDDEN_BIT;
      nri = Math.max(nri, nal[0] & NRI_MASK);
    }
    into[offset] = forbidden | nri | H264NalType.StapA;
  },
  writeFuHeader(into, offset, nal, flags) {
    // RFC 6184, 5.8: the FU indicator keeps F and NRI of the fragmented unit;
    // the FU header carries S, E, R=0 and its type.
    into[offset] = (nal[0] & (FORBIDDEN_BIT | NRI_MASK)) | H264NalType.FuA;
    into[offset + 1] = flags | (nal[0] & NAL_TYPE_MASK);
  },
};

/** What gets injected and where (H.264 7.4.1.2.3: AUD first, then SPS, PPS). */
const H264_PARAMETER_SET_RULES: ParameterSetRules = {
  types: [H264NalType.Sps, H264NalType.Pps],
  leadingTypes: [H264NalType.Aud],
  isRandomAccess: (type) => type === H264NalType.IdrSlice,
};

/** Out-of-band H.264 parameter sets, NAL units without start codes. */
export interface H264ParameterSets {
  /** Sequence parameter set NAL unit. */
  readonly sps: Uint8Array;
  /** Picture parameter set NAL unit. */
  readonly pps: Uint8Array;
}

/** Options of {@linkcode H264Packetizer}. */
export interface H264PacketizerOptions extends RtpPacketizerOptions {
  /** Parameter sets to send ahead of IDR pictures that do not carry their own. */
  readonly parameterSets?: H264ParameterSets;
}

/** RFC 6184 packetization-mode=1 packetizer. */
export class H264Packetizer implements Packetizer {
  readonly #writer: RtpPacketWriter;
  readonly #parameterSets: ParameterSetInjector;

  /**
   * Creates a packetizer for one H.264 stream.
   * @throws {RangeError} when `maxPayloadSize` is too small.
   */
  constructor(options: H264PacketizerOptions) {
    this.#writer = new RtpPacketWriter(options);
    const initial = options.parameterSets
      ? [options.parameterSets.sps, options.parameterSets.pps]
      : [];
    this.#parameterSets = new ParameterSetInjector(H264_FORMAT, H264_PARAMETER_SET_RULES, initial);
  }

  /** See {@linkcode Packetizer.nextSequenceNumber}. */
  get nextSequenceNumber(): number {
    return this.#writer.nextSequenceNumber;
  }

  /** Latest SPS/PPS, seen in the stream or given as options (for SDP, see `h264Fmtp`). */
  get parameterSets(): H264ParameterSets | undefined {
    const sps = this.#parameterSets.get(H264NalType.Sps);
    const pps = this.#parameterSets.get(H264NalType.Pps);
    return sps && pps ? { sps, pps } : undefined;
  }

  /**
   * Packetizes one picture. IDR pictures get SPS+PPS in a STAP-A up front
   * (the stored ones when the picture has none); the last packet has the marker.
   */
  packetize(au: AccessUnit): Uint8Array[] {
    const nals = this.#parameterSets.arrange(au);
    return packetizeNalUnits(
      this.#writer,
      H264_FORMAT,
      nals,
      H264_PARAMETER_SET_RULES.types,
      this.#writer.rtpTimestamp(au.timestamp),
    );
  }
}

/** RFC 6184 payload reader: single NAL unit, STAP-A and FU-A packets. */
const H264_READER: NalPayloadReader = {
  isKeyframeUnit: (nal) => h264NalType(nal) === H264NalType.IdrSlice,
  read(payload, assembler) {
    if (payload.length < NAL_HEADER_SIZE_BYTES) return assembler.drop();
    const type = h264NalType(payload);
    if (type >= FIRST_SINGLE_NAL_TYPE && type <= LAST_SINGLE_NAL_TYPE) {
      return assembler.addUnit(payload);
    }
    if (type === H264NalType.StapA) {
      return assembler.addAggregated(
        payload.subarray(STAP_A_HEADER_SIZE_BYTES),
        MIN_NAL_SIZE_BYTES,
      );
    }
    if (type !== H264NalType.FuA || payload.length <= FU_A_HEADER_SIZE_BYTES) {
      // Type 0 and 30-31 are unused; STAP-B, MTAP and FU-B belong to the
      // interleaved mode (RFC 6184, 5.2 Table 3), which we never negotiate.
      return assembler.drop();
    }
    const fuHeader = payload[FU_A_HEADER_SIZE_BYTES - 1];
    const start = (fuHeader & FU_START_FLAG) !== 0;
    const end = (fuHeader & FU_END_FLAG) !== 0;
    const fragmentType = fuHeader & NAL_TYPE_MASK;
    const data = payload.subarray(FU_A_HEADER_SIZE_BYTES);
    if (start && end) {
      // RFC 6184, 5.8: a NAL unit is never sent as a single FU, so a fragment
      // with both Start and End set is malformed.
      return assembler.drop();
    }
    if (start) {
      const header = Uint8Array.of((payload[0] & (FORBIDDEN_BIT | NRI_MASK)) | fragmentType);
      assembler.startFragment(header, fragmentType, data);
    } else {
      assembler.continueFragment(fragmentType, data, end);
    }
  },
};

/**
 * RFC 6184 depacketizer (mode 0 and 1). Access units end on the marker bit or a
 * timestamp change; fragments after a sequence gap are dropped.
 */
export class H264Depacketizer extends NalAssembler {
  /** Creates a depacketizer for one received H.264 stream. */
  constructor(options: RtpDepacketizerOptions = {}) {
    super(H264_READER, options);
  }
}
