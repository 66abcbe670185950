/**
 * H.265/HEVC over RTP, RFC 7798: single NAL unit packets (4.4.1), aggregation
 * packets (4.4.2, type 48) for VPS+SPS+PPS ahead of each IRAP picture, and
 * fragmentation units (4.4.3, type 49). No DONL fields: we never signal
 * sprop-max-don-diff, so it is 0 and DONL is absent (RFC 7798, 4.4).
 *
 * ```text
 * H.265 7.3.1.2 NAL unit header (2 bytes):
 * +---------------+---------------+
 * |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |F|   Type    |  LayerId  | TID |
 * +-------------+-----------------+
 * ```
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

/** NAL unit types used here (H.265 Table 7-1; RFC 7798, 4.4 for 48..50). */
export const H265NalType = {
  /** First IRAP type (BLA_W_LP); IRAP pictures are types 16..23 (H.265 7.4.2.2). */
  FirstIrap: 16,
  /** Instantaneous decoding refresh without leading pictures. */
  IdrNLp: 20,
  /** Last IRAP type (RSV_IRAP_VCL23). */
  LastIrap: 23,
  /** Video parameter set. */
  Vps: 32,
  /** Sequence parameter set. */
  Sps: 33,
  /** Picture parameter set. */
  Pps: 34,
  /** Access unit delimiter. */
  Aud: 35,
  /** RFC 7798, 4.4.2: aggregation packet. */
  Ap: 48,
  /** RFC 7798, 4.4.3: fragmentation unit. */
  Fu: 49,
  /** RFC 7798, 4.4.4: PACI packet (not supported, dropped on receipt). */
  Paci: 50,
} as const;

/** One of the {@linkcode H265NalType} values. */
export type H265NalType = typeof H265NalType[keyof typeof H265NalType];

/** H.265 7.3.1.2: the NAL unit header is two bytes. */
const NAL_HEADER_SIZE_BYTES = 2;
/** RFC 7798, 4.4.2: the AP PayloadHdr is a NAL-header-shaped 2 bytes. */
const AP_HEADER_SIZE_BYTES = 2;
/** RFC 7798, 4.4.3: 2-byte PayloadHdr + 1-byte FU header. */
const FU_HEADER_SIZE_BYTES = 3;
/** H.265 7.3.1.2: forbidden_zero_bit, top bit of the first byte. */
const FORBIDDEN_BIT = 0x80;
/** H.265 7.3.1.2: nal_unit_type sits in bits 1..6 of the first byte. */
const NAL_TYPE_SHIFT_BITS = 1;
/** H.265 7.3.1.2: nal_unit_type is 6 bits. */
const NAL_TYPE_MASK = 0x3f;
/** H.265 7.3.1.2: the top bit of nuh_layer_id is the low bit of the first byte. */
const LAYER_ID_HIGH_BIT = 0x01;
/** H.265 7.3.1.2: nuh_layer_id has 5 bits in the second byte, above the TID. */
const LAYER_ID_LOW_SHIFT_BITS = 3;
/** H.265 7.3.1.2: nuh_temporal_id_plus1 is the low 3 bits of the second byte. */
const TID_MASK = 0x07;
/** H.265 7.3.1.2: width of nuh_layer_id's part in the second byte. */
const LAYER_ID_LOW_BITS = 5;
/** RFC 7798, 4.4.3: FuType is the low 6 bits of the FU header. */
const FU_TYPE_MASK = 0x3f;
/** RFC 7798, 4.4.1: types 0..47 are single NAL unit packets. */
const LAST_SINGLE_NAL_TYPE = 47;

/** NAL unit type of an H.265 NAL unit (H.265 7.3.1.2). */
export function h265NalType(nal: Uint8Array): number {
  return (nal[0] >>> NAL_TYPE_SHIFT_BITS) & NAL_TYPE_MASK;
}

/** Whether an H.265 NAL unit type is an IRAP picture (H.265 7.4.2.2: types 16..23). */
export function isH265Irap(type: number): boolean {
  return type >= H265NalType.FirstIrap && type <= H265NalType.LastIrap;
}

/** nuh_layer_id of a NAL unit header (H.265 7.3.1.2). */
function layerId(nal: Uint8Array): number {
  return ((nal[0] & LAYER_ID_HIGH_BIT) << LAYER_ID_LOW_BITS) |
    (nal[1] >>> LAYER_ID_LOW_SHIFT_BITS);
}

/** RFC 7798 header layouts, for the shared NAL packetizer. */
const H265_FORMAT: NalPayloadFormat = {
  nalHeaderSize: NAL_HEADER_SIZE_BYTES,
  aggregationHeaderSize: AP_HEADER_SIZE_BYTES,
  fuHeaderSize: FU_HEADER_SIZE_BYTES,
  nalType: h265NalType,
  writeAggregationHeader(into, offset, nals) {
    // RFC 7798, 4.4.2: F is 0 only if every aggregated F is 0; LayerId and TID
    // "MUST be equal to the lowest" values among the aggregated NAL units.
    let forbidden = 0;
    let lowestLayer = Infinity;
    let lowestTid = Infinity;
    for (const nal of nals) {
      forbidden |= nal[0] & FORBIDDEN_BIT;
      lowestLayer = Math.min(lowestLayer, layerId(nal));
      lowestTid = Math.min(lowestTid, nal[1] & TID_MASK);
    }
    into[offset] = forbidden | (H265NalType.Ap << NAL_TYPE_SHIFT_BITS) |
      (lowestLayer >>> LAYER_ID_LOW_BITS);
    into[offset + 1] = (lowestLayer << LAYER_ID_LOW_SHIFT_BITS) | lowestTid;
  },
  writeFuHeader(into, offset, nal, flags) {
    // RFC 7798, 4.4.3: PayloadHdr copies F, LayerId and TID of the fragmented
    // unit with Type=49; the FU header carries S, E and the original type.
    into[offset] = (nal[0] & (FORBIDDEN_BIT | LAYER_ID_HIGH_BIT)) |
      (H265NalType.Fu << NAL_TYPE_SHIFT_BITS);
    into[offset + 1] = nal[1];
    into[offset + 2] = flags | h265NalType(nal);
  },
};

/** What gets injected and where (H.265 7.4.2.4.4: AUD first, then VPS, SPS, PPS). */
const H265_PARAMETER_SET_RULES: ParameterSetRules = {
  types: [H265NalType.Vps, H265NalType.Sps, H265NalType.Pps],
  leadingTypes: [H265NalType.Aud],
  isRandomAccess: isH265Irap,
};

/** Out-of-band H.265 parameter sets, NAL units without start codes. */
export interface H265ParameterSets {
  /** Video parameter set NAL unit. */
  readonly vps: Uint8Array;
  /** Sequence parameter set NAL unit. */
  readonly sps: Uint8Array;
  /** Picture parameter set NAL unit. */
  readonly pps: Uint8Array;
}

/** Options of {@linkcode H265Packetizer}. */
export interface H265PacketizerOptions extends RtpPacketizerOptions {
  /** Parameter sets to send ahead of IRAP pictures that do not carry their own. */
  readonly parameterSets?: H265ParameterSets;
}

/** RFC 7798 packetizer (no DONL, no PACI). */
export class H265Packetizer implements Packetizer {
  readonly #writer: RtpPacketWriter;
  readonly #parameterSets: ParameterSetInjector;

  /**
   * Creates a packetizer for one H.265 stream.
   * @throws {RangeError} when `maxPayloadSize` is too small.
   */
  constructor(options: H265PacketizerOptions) {
    this.#writer = new RtpPacketWriter(options);
    const sets = options.parameterSets;
    const initial = sets ? [sets.vps, sets.sps, sets.pps] : [];
    this.#parameterSets = new ParameterSetInjector(H265_FORMAT, H265_PARAMETER_SET_RULES, initial);
  }

  /** See {@linkcode Packetizer.nextSequenceNumber}. */
  get nextSequenceNumber(): number {
    return this.#writer.nextSequenceNumber;
  }

  /** Latest VPS/SPS/PPS, seen in the stream or given as options (for SDP, see `h265Fmtp`). */
  get parameterSets(): H265ParameterSets | undefined {
    const vps = this.#parameterSets.get(H265NalType.Vps);
    const sps = this.#parameterSets.get(H265NalType.Sps);
    const pps = this.#parameterSets.get(H265NalType.Pps);
    return vps && sps && pps ? { vps, sps, pps } : undefined;
  }

  /**
   * Packetizes one picture. IRAP pictures get VPS+SPS+PPS in an AP up front
   * (the stored ones when the picture has none); the last packet has the marker.
   */
  packetize(au: AccessUnit): Uint8Array[] {
    const nals = this.#parameterSets.arrange(au);
    return packetizeNalUnits(
      this.#writer,
      H265_FORMAT,
      nals,
      H265_PARAMETER_SET_RULES.types,
      this.#writer.rtpTimestamp(au.timestamp),
    );
  }
}

/** RFC 7798 payload reader: single NAL unit, AP and FU packets. */
const H265_READER: NalPayloadReader = {
  isKeyframeUnit: (nal) => nal.length >= NAL_HEADER_SIZE_BYTES && isH265Irap(h265NalType(nal)),
  read(payload, assembler) {
    if (payload.length < NAL_HEADER_SIZE_BYTES) return assembler.drop();
    const type = h265NalType(payload);
    if (type <= LAST_SINGLE_NAL_TYPE) return assembler.addUnit(payload);
    if (type === H265NalType.Ap) {
      return assembler.addAggregated(
        payload.subarray(AP_HEADER_SIZE_BYTES),
        NAL_HEADER_SIZE_BYTES,
      );
    }
    if (type !== H265NalType.Fu || payload.length <= FU_HEADER_SIZE_BYTES) {
      // PACI (50) and the unspecified types 51..63 are not negotiated here.
      return assembler.drop();
    }
    const fuHeader = payload[FU_HEADER_SIZE_BYTES - 1];
    const start = (fuHeader & FU_START_FLAG) !== 0;
    const end = (fuHeader & FU_END_FLAG) !== 0;
    const fragmentType = fuHeader & FU_TYPE_MASK;
    const data = payload.subarray(FU_HEADER_SIZE_BYTES);
    if (start && end) {
      // RFC 7798, 4.4.3: a non-fragmented NAL unit is never sent as one FU, so a
      // fragment with both Start and End set is malformed.
      return assembler.drop();
    }
    if (start) {
      const header = Uint8Array.of(
        (payload[0] & (FORBIDDEN_BIT | LAYER_ID_HIGH_BIT)) | (fragmentType << NAL_TYPE_SHIFT_BITS),
        payload[1],
      );
      assembler.startFragment(header, fragmentType, data);
    } else {
      assembler.continueFragment(fragmentType, data, end);
    }
  },
};

/**
 * RFC 7798 depacketizer. Access units end on the marker bit or a timestamp
 * change; fragments after a sequence gap are dropped.
 */
export class H265Depacketizer extends NalAssembler {
  /** Creates a depacketizer for one received H.265 stream. */
  constructor(options: RtpDepacketizerOptions = {}) {
    super(H265_READER, options);
  }
}
