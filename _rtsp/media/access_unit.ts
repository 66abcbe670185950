/**
 * The unit of media that sources produce and packetizers consume.
 *
 * Video: one picture, as NAL units without Annex-B start codes.
 * Audio: one or more codec frames (one AAC raw_data_block, one Opus packet,
 * a run of G.711 samples), each an element of `units`.
 */
export interface AccessUnit {
  /** Presentation timestamp in the track's RTP clock rate (RFC 3550, 5.1), not yet offset. */
  readonly timestamp: number;
  /** NAL units (no start codes) for video; codec frames for audio. */
  readonly units: readonly Uint8Array[];
  /** True for an IDR/IRAP picture (video) and for every audio frame. */
  readonly keyframe: boolean;
}
