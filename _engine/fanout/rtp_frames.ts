/**
 * Grouping a publisher's RTP packets into {@link MediaFrame}s for fan-out,
 * without depacketizing: readers get the publisher's packets unchanged, and
 * the frame boundaries and keyframe flags the fan-out needs (drop gate, GOP
 * cache) are read from RTP headers and the first bytes of payloads.
 *
 * @module
 */

import type { MediaFrame } from "./media_frame.ts";
import { H264NalType, type H264ParameterSets } from "../../_rtsp/rtp/h264_packetizer.ts";
import { H265NalType, type H265ParameterSets } from "../../_rtsp/rtp/h265_packetizer.ts";
import { parseRtpPacket, RTP_SEQUENCE_MODULUS } from "../../_rtsp/rtp/rtp_packet.ts";
import { concatBytes } from "../../_rtsp/bytes.ts";

/** A frame with more packets than this is cut (a 4K IDR at 1400 bytes/packet is ~1000). */
export const MAX_FRAME_PACKETS = 2048;
/** A frame with more bytes than this is cut; half the GOP cache, so a cut GOP still fits twice. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/**
 * A parameter set fragmented over FUs is reassembled only up to this size:
 * real SPS/PPS/VPS are tens of bytes, a few hundred with scaling lists.
 */
export const MAX_PARAMETER_SET_BYTES = 2048;

/** RFC 5761 §4: RTCP packet types 200..204 read as RTP payload types 72..76 (marker bit set). */
const FIRST_RTCP_AS_PAYLOAD_TYPE = 72;
/** RFC 5761 §4, see {@linkcode FIRST_RTCP_AS_PAYLOAD_TYPE}. */
const LAST_RTCP_AS_PAYLOAD_TYPE = 76;
/** Half the sequence space: a forward distance below it is loss, above it a late packet (RFC 3550 A.1). */
const SEQUENCE_HALF = RTP_SEQUENCE_MODULUS / 2;
/** RFC 3550 A.1 MAX_MISORDER: a packet further behind than this means the sender restarted. */
const MAX_MISORDER = 100;
/** RFC 6184 §5.7.1 / RFC 7798 §4.4.2: each aggregated unit has a 16-bit size prefix. */
const AGGREGATED_SIZE_BYTES = 2;
/** RFC 6184 §5.8 / RFC 7798 §4.4.3: the S (start) bit of an FU header. */
const FU_START_BIT = 0x80;
/** RFC 6184 §5.8 / RFC 7798 §4.4.3: the E (end) bit of an FU header. */
const FU_END_BIT = 0x40;

/** H.264 7.3.1: nal_unit_type, low 5 bits. */
const H264_TYPE_MASK = 0x1f;
/** H.264 7.3.1: forbidden_zero_bit and nal_ref_idc, kept from the FU indicator (RFC 6184 §5.8). */
const H264_F_NRI_MASK = 0xe0;
/** RFC 6184 §5.2: types 1..23 are single NAL unit packets (0 is unspecified). */
const H264_FIRST_SINGLE_TYPE = 1;
/** RFC 6184 §5.2: types 1..23 are single NAL unit packets. */
const H264_LAST_SINGLE_TYPE = 23;
/** RFC 6184 §5.7.1: the STAP-A header is one byte. */
const H264_STAP_A_HEADER_BYTES = 1;
/** RFC 6184 §5.8: FU indicator + FU header. */
const H264_FU_HEADER_BYTES = 2;

/** H.265 7.3.1.2: nal_unit_type sits in bits 1..6 of the first header byte. */
const H265_TYPE_SHIFT = 1;
/** H.265 7.3.1.2: nal_unit_type is 6 bits. */
const H265_TYPE_MASK = 0x3f;
/** H.265 7.3.1.2: forbidden_zero_bit and the top bit of nuh_layer_id, kept from the PayloadHdr (RFC 7798 §4.4.3). */
const H265_F_LAYER_HIGH_MASK = 0x81;
/** H.265 7.3.1.2: the NAL unit header (and RFC 7798 PayloadHdr) is two bytes. */
const H265_HEADER_BYTES = 2;
/** RFC 7798 §4.4.1: types 0..47 are single NAL unit packets. */
const H265_LAST_SINGLE_TYPE = 47;
/** RFC 7798 §4.4.3: PayloadHdr + FU header. */
const H265_FU_HEADER_BYTES = 3;

/** A frame as assembled from a publisher's packets. */
export interface AssembledFrame extends MediaFrame {
  /** RTP timestamp shared by the frame's packets. */
  readonly rtpTimestamp: number;
  /**
   * The frame was cut at {@linkcode MAX_FRAME_PACKETS} or {@linkcode MAX_FRAME_BYTES}:
   * the access unit continues in the next frame(s), which carry the same timestamp.
   */
  readonly cut: boolean;
  /** Packets were lost (or arrived out of order) before or inside this frame. */
  readonly afterLoss: boolean;
}

/** How keyframes of a video codec are recognised. */
type KeyframeTest = (payload: Uint8Array) => boolean;

/** H.264 NAL types that make a frame a keyframe: IDR slice, SPS, PPS (Table 7-1). */
function isH264KeyType(type: number): boolean {
  return type === H264NalType.IdrSlice || type === H264NalType.Sps || type === H264NalType.Pps;
}

/** H.265 NAL types that make a frame a keyframe: IRAP 16..23, VPS, SPS, PPS (Table 7-1). */
function isH265KeyType(type: number): boolean {
  return (type >= H265NalType.FirstIrap && type <= H265NalType.LastIrap) ||
    type === H265NalType.Vps || type === H265NalType.Sps || type === H265NalType.Pps;
}

/** nal_unit_type from the first byte of an H.265 NAL unit header (7.3.1.2). */
function h265Type(firstHeaderByte: number): number {
  return (firstHeaderByte >>> H265_TYPE_SHIFT) & H265_TYPE_MASK;
}

/** Calls `visit` with each unit of an aggregation packet body; stops at a malformed size or when `visit` says true. */
function someAggregatedUnit(
  payload: Uint8Array,
  offset: number,
  visit: (unit: Uint8Array) => boolean,
): boolean {
  let at = offset;
  while (at + AGGREGATED_SIZE_BYTES <= payload.length) {
    const size = (payload[at] << 8) | payload[at + 1];
    at += AGGREGATED_SIZE_BYTES;
    if (size === 0 || at + size > payload.length) return false;
    if (visit(payload.subarray(at, at + size))) return true;
    at += size;
  }
  return false;
}

/** RFC 6184: IDR or SPS/PPS in a single NAL unit, inside a STAP-A, or starting an FU-A. */
function h264Keyframe(payload: Uint8Array): boolean {
  if (payload.length === 0) return false;
  const type = payload[0] & H264_TYPE_MASK;
  if (type >= H264_FIRST_SINGLE_TYPE && type <= H264_LAST_SINGLE_TYPE) return isH264KeyType(type);
  if (type === H264NalType.StapA) {
    return someAggregatedUnit(
      payload,
      H264_STAP_A_HEADER_BYTES,
      (unit) => isH264KeyType(unit[0] & H264_TYPE_MASK),
    );
  }
  if (type === H264NalType.FuA && payload.length >= H264_FU_HEADER_BYTES) {
    const fu = payload[H264_FU_HEADER_BYTES - 1];
    return (fu & FU_START_BIT) !== 0 && isH264KeyType(fu & H264_TYPE_MASK);
  }
  return false;
}

/**
 * RFC 7798: IRAP (16..23) or VPS/SPS/PPS in a single NAL unit, inside an AP,
 * or starting an FU. APs are read without DONL fields (sprop-max-don-diff 0,
 * what every encoder we know sends).
 */
function h265Keyframe(payload: Uint8Array): boolean {
  if (payload.length < H265_HEADER_BYTES) return false;
  const type = h265Type(payload[0]);
  if (type <= H265_LAST_SINGLE_TYPE) return isH265KeyType(type);
  if (type === H265NalType.Ap) {
    return someAggregatedUnit(
      payload,
      H265_HEADER_BYTES,
      (unit) => unit.length >= H265_HEADER_BYTES && isH265KeyType(h265Type(unit[0])),
    );
  }
  if (type === H265NalType.Fu && payload.length >= H265_FU_HEADER_BYTES) {
    const fu = payload[H265_FU_HEADER_BYTES - 1];
    return (fu & FU_START_BIT) !== 0 && isH265KeyType(fu & H265_TYPE_MASK);
  }
  return false;
}

/**
 * The keyframe test of a video codec. H.264 and H.265 are read from the
 * payload. Motion JPEG frames are all independent (RFC 2435). For any other
 * video codec every frame counts as a keyframe: we cannot see its random
 * access points, and a reader that lost a frame would otherwise wait forever
 * for a keyframe we never flag; with "always" it gets every later frame, at
 * worst a few damaged pictures until the codec's own next keyframe.
 */
function keyframeTest(codec: string | undefined): KeyframeTest | undefined {
  switch (codec) {
    case "H264":
      return h264Keyframe;
    case "H265":
      return h265Keyframe;
    default:
      return undefined;
  }
}

/**
 * Assembles a publisher's packets of one track into frames. Video: a frame
 * ends at the marker bit (RFC 6184 §5.1, RFC 7798 §4.1, RFC 2435 §3.1 set it
 * on the last packet of an access unit) or, for senders without markers, when
 * the RTP timestamp changes (the frame is then emitted with the first packet
 * of the next one). Audio: each packet is a frame. Packets are never copied:
 * a frame's `packets` are the very Uint8Arrays pushed. Malformed packets (not
 * RTP version 2, truncated, RTCP on the RTP channel) are dropped and counted.
 * A late packet of an earlier frame starts a frame of its own rather than
 * being reordered: a relay forwards, it does not buffer.
 */
export class RtpFrameAssembler {
  readonly #trackIndex: number;
  readonly #video: boolean;
  /** undefined for video: every frame is a keyframe (see {@linkcode keyframeTest}). */
  readonly #isKeyframe: KeyframeTest | undefined;
  #packets: Uint8Array[] = [];
  #bytes = 0;
  #timestamp = 0;
  #keyframe = false;
  #afterLoss = false;
  #expectedSequence: number | undefined;
  #droppedPackets = 0;
  #lostPackets = 0;
  #cutFrames = 0;

  /**
   * @param trackIndex index of the track, copied into every frame
   * @param codec the track's codec (e.g. `AnnouncedCodec`), for keyframe detection
   * @param video whether the track is video
   */
  constructor(trackIndex: number, codec: string | undefined, video: boolean) {
    this.#trackIndex = trackIndex;
    this.#video = video;
    this.#isKeyframe = video ? keyframeTest(codec) : undefined;
  }

  /** Packets refused as malformed. */
  get droppedPackets(): number {
    return this.#droppedPackets;
  }

  /** Packets missing according to sequence numbers. */
  get lostPackets(): number {
    return this.#lostPackets;
  }

  /** Frames cut at {@linkcode MAX_FRAME_PACKETS} or {@linkcode MAX_FRAME_BYTES}. */
  get cutFrames(): number {
    return this.#cutFrames;
  }

  /** Takes one packet; returns the frames it completed, oldest first (none, one, or two). */
  push(packet: Uint8Array): AssembledFrame[] {
    const parsed = parseRtpPacket(packet);
    if (!parsed.ok) {
      this.#droppedPackets++;
      return [];
    }
    const { header, payload } = parsed.packet;
    if (
      header.payloadType >= FIRST_RTCP_AS_PAYLOAD_TYPE &&
      header.payloadType <= LAST_RTCP_AS_PAYLOAD_TYPE
    ) {
      this.#droppedPackets++;
      return [];
    }
    const gap = this.#noteSequence(header.sequenceNumber);
    if (!this.#video) {
      this.#start(header.timestamp, gap);
      this.#add(packet, payload);
      return [this.#finish(false)];
    }
    const done: AssembledFrame[] = [];
    if (this.#packets.length > 0 && header.timestamp !== this.#timestamp) {
      // Without a marker seen, lost packets may be this frame's tail as well
      // as the next one's head: both are flagged.
      this.#afterLoss ||= gap;
      done.push(this.#finish(false));
    }
    if (this.#packets.length === 0) this.#start(header.timestamp, gap);
    else this.#afterLoss ||= gap;
    this.#add(packet, payload);
    if (header.marker) {
      done.push(this.#finish(false));
    } else if (this.#packets.length >= MAX_FRAME_PACKETS || this.#bytes >= MAX_FRAME_BYTES) {
      this.#cutFrames++;
      done.push(this.#finish(true));
    }
    return done;
  }

  /** The frame being assembled, if any (e.g. when the publisher leaves). */
  flush(): AssembledFrame[] {
    return this.#packets.length > 0 ? [this.#finish(false)] : [];
  }

  /**
   * Whether `sequence` does not follow the previous packet. A jump forward
   * counts its missing packets. A packet a little behind (late or repeated)
   * is a gap but no loss, and leaves the expected number alone; one far
   * behind means the sender restarted its numbering, which is followed.
   */
  #noteSequence(sequence: number): boolean {
    const expected = this.#expectedSequence;
    if (expected === undefined || sequence === expected) {
      this.#expectedSequence = (sequence + 1) % RTP_SEQUENCE_MODULUS;
      return false;
    }
    const ahead = (sequence - expected + RTP_SEQUENCE_MODULUS) % RTP_SEQUENCE_MODULUS;
    if (ahead < SEQUENCE_HALF) {
      this.#lostPackets += ahead;
      this.#expectedSequence = (sequence + 1) % RTP_SEQUENCE_MODULUS;
    } else if (RTP_SEQUENCE_MODULUS - ahead > MAX_MISORDER) {
      this.#expectedSequence = (sequence + 1) % RTP_SEQUENCE_MODULUS;
    }
    return true;
  }

  #start(timestamp: number, afterLoss: boolean): void {
    this.#timestamp = timestamp;
    this.#keyframe = false;
    this.#afterLoss = afterLoss;
  }

  #add(packet: Uint8Array, payload: Uint8Array): void {
    this.#packets.push(packet);
    this.#bytes += packet.length;
    if (!this.#keyframe && this.#isKeyframe) this.#keyframe = this.#isKeyframe(payload);
  }

  #finish(cut: boolean): AssembledFrame {
    const frame: AssembledFrame = {
      trackIndex: this.#trackIndex,
      packets: this.#packets,
      video: this.#video,
      // Audio frames always; video without a payload test always (see keyframeTest).
      keyframe: this.#keyframe || !this.#video || this.#isKeyframe === undefined,
      bytes: this.#bytes,
      rtpTimestamp: this.#timestamp,
      cut,
      afterLoss: this.#afterLoss,
    };
    this.#packets = [];
    this.#bytes = 0;
    this.#keyframe = false;
    this.#afterLoss = false;
    return frame;
  }
}

/** How one payload format lays out NAL units, for {@linkcode parameterSetsInFrame}. */
interface NalLayout {
  /** NAL unit type from a NAL unit (header first). */
  readonly nalType: (nal: Uint8Array) => number;
  /** Bytes of the aggregation packet header before its first size field. */
  readonly aggregationHeaderBytes: number;
  /** Bytes of PayloadHdr/indicator + FU header. */
  readonly fuHeaderBytes: number;
  /** Packet type of aggregation packets. */
  readonly aggregationType: number;
  /** Packet type of fragmentation units. */
  readonly fuType: number;
  /** Last single-NAL packet type. */
  readonly lastSingleType: number;
  /** The packet type from the first payload bytes. */
  readonly packetType: (payload: Uint8Array) => number;
  /** The original NAL type of an FU. */
  readonly fuNalType: (payload: Uint8Array) => number;
  /** The original NAL unit header rebuilt from an FU's headers. */
  readonly fuNalHeader: (payload: Uint8Array) => Uint8Array;
  /** Smallest meaningful payload. */
  readonly minPayload: number;
}

const H264_LAYOUT: NalLayout = {
  nalType: (nal) => nal[0] & H264_TYPE_MASK,
  aggregationHeaderBytes: H264_STAP_A_HEADER_BYTES,
  fuHeaderBytes: H264_FU_HEADER_BYTES,
  aggregationType: H264NalType.StapA,
  fuType: H264NalType.FuA,
  lastSingleType: H264_LAST_SINGLE_TYPE,
  packetType: (payload) => payload[0] & H264_TYPE_MASK,
  fuNalType: (payload) => payload[1] & H264_TYPE_MASK,
  // RFC 6184 §5.8: F and NRI from the FU indicator, the type from the FU header.
  fuNalHeader: (payload) =>
    Uint8Array.of((payload[0] & H264_F_NRI_MASK) | (payload[1] & H264_TYPE_MASK)),
  minPayload: 1,
};

const H265_LAYOUT: NalLayout = {
  nalType: (nal) => nal.length >= H265_HEADER_BYTES ? h265Type(nal[0]) : -1,
  aggregationHeaderBytes: H265_HEADER_BYTES,
  fuHeaderBytes: H265_FU_HEADER_BYTES,
  aggregationType: H265NalType.Ap,
  fuType: H265NalType.Fu,
  lastSingleType: H265_LAST_SINGLE_TYPE,
  packetType: (payload) => h265Type(payload[0]),
  fuNalType: (payload) => payload[2] & H265_TYPE_MASK,
  // RFC 7798 §4.4.3: F, LayerId and TID from the PayloadHdr, the type from the FU header.
  fuNalHeader: (payload) =>
    Uint8Array.of(
      (payload[0] & H265_F_LAYER_HIGH_MASK) | ((payload[2] & H265_TYPE_MASK) << H265_TYPE_SHIFT),
      payload[1],
    ),
  minPayload: H265_HEADER_BYTES,
};

/** A parameter set being reassembled from FUs. */
interface PendingFragment {
  type: number;
  parts: Uint8Array[];
  size: number;
  nextSequence: number;
}

/** The parameter sets (by NAL type, copied) carried in `packets`; the first of each type wins. */
function findParameterSets(
  layout: NalLayout,
  wanted: readonly number[],
  packets: readonly Uint8Array[],
): Map<number, Uint8Array> {
  const found = new Map<number, Uint8Array>();
  // Copies, so a cached set does not keep a publisher's receive buffer alive.
  const keep = (nal: Uint8Array) => {
    const type = layout.nalType(nal);
    if (wanted.includes(type) && !found.has(type)) found.set(type, nal.slice());
  };
  let pending: PendingFragment | undefined;
  for (const bytes of packets) {
    const parsed = parseRtpPacket(bytes);
    if (!parsed.ok) {
      pending = undefined;
      continue;
    }
    const { payload, header } = parsed.packet;
    if (payload.length < layout.minPayload) continue;
    const type = layout.packetType(payload);
    if (type <= layout.lastSingleType) {
      keep(payload);
    } else if (type === layout.aggregationType) {
      someAggregatedUnit(payload, layout.aggregationHeaderBytes, (unit) => {
        if (unit.length >= layout.minPayload) keep(unit);
        return false;
      });
    } else if (type === layout.fuType && payload.length > layout.fuHeaderBytes) {
      const fu = payload[layout.fuHeaderBytes - 1];
      const data = payload.subarray(layout.fuHeaderBytes);
      const nalType = layout.fuNalType(payload);
      if (fu & FU_START_BIT) {
        pending = wanted.includes(nalType) && !found.has(nalType)
          ? {
            type: nalType,
            parts: [layout.fuNalHeader(payload), data],
            size: layout.minPayload + data.length,
            nextSequence: (header.sequenceNumber + 1) % RTP_SEQUENCE_MODULUS,
          }
          : undefined;
      } else if (
        pending && pending.type === nalType && pending.nextSequence === header.sequenceNumber
      ) {
        pending.parts.push(data);
        pending.size += data.length;
        pending.nextSequence = (header.sequenceNumber + 1) % RTP_SEQUENCE_MODULUS;
        if (pending.size > MAX_PARAMETER_SET_BYTES) {
          pending = undefined;
        } else if (fu & FU_END_BIT) {
          found.set(pending.type, concatBytes(...pending.parts));
          pending = undefined;
        }
      } else {
        // A fragment after a loss, or of a unit we do not want.
        pending = undefined;
      }
    }
    if (wanted.every((t) => found.has(t))) break;
  }
  return found;
}

/**
 * Parameter sets carried in-band in a frame's packets (typically a keyframe):
 * in single NAL unit packets, in STAP-A / AP, or fragmented in FUs when the
 * whole unit is at most {@linkcode MAX_PARAMETER_SET_BYTES} and its fragments
 * are consecutive. Only complete sets are returned (SPS+PPS for H.264,
 * VPS+SPS+PPS for H.265: a partial set cannot go into an fmtp a decoder can
 * use); undefined otherwise. The NAL units returned are copies.
 */
export function parameterSetsInFrame(
  codec: "H264",
  packets: readonly Uint8Array[],
): H264ParameterSets | undefined;
export function parameterSetsInFrame(
  codec: "H265",
  packets: readonly Uint8Array[],
): H265ParameterSets | undefined;
export function parameterSetsInFrame(
  codec: "H264" | "H265",
  packets: readonly Uint8Array[],
): H264ParameterSets | H265ParameterSets | undefined {
  if (codec === "H264") {
    const found = findParameterSets(H264_LAYOUT, [H264NalType.Sps, H264NalType.Pps], packets);
    const sps = found.get(H264NalType.Sps);
    const pps = found.get(H264NalType.Pps);
    return sps && pps ? { sps, pps } : undefined;
  }
  const found = findParameterSets(
    H265_LAYOUT,
    [H265NalType.Vps, H265NalType.Sps, H265NalType.Pps],
    packets,
  );
  const vps = found.get(H265NalType.Vps);
  const sps = found.get(H265NalType.Sps);
  const pps = found.get(H265NalType.Pps);
  return vps && sps && pps ? { vps, sps, pps } : undefined;
}
