/**
 * The tracks a DESCRIBE answer offers, with the URL each is set up at
 * (RFC 2326, C.1.1) and the codec when one is known.
 * @module
 */

import { type AnnouncedTrack, announcedTracks, type ParsedSdp } from "../sdp_parse.ts";
import { resolveControl } from "./control_url.ts";

/** One track of the described stream. */
export interface ClientTrack extends AnnouncedTrack {
  /** Position among the tracks set up (0-based); RTP of track i is on interleaved 2i. */
  readonly index: number;
  /** The URL its SETUP goes to. */
  readonly controlUrl: string;
}

/** What a DESCRIBE answer described. */
export interface ClientDescription {
  /** The SDP text as received. */
  readonly sdp: string;
  /** The parsed SDP. */
  readonly parsed: ParsedSdp;
  /** The base URL controls were resolved against. */
  readonly baseUrl: string;
  /** The URL of aggregate requests (PLAY, TEARDOWN): the session-level control resolved. */
  readonly aggregateUrl: string;
  /** The RTP tracks, in SDP order; media that are not RTP or have no usable format are left out. */
  readonly tracks: readonly ClientTrack[];
}

/** The description of `sdp` received with base URL `baseUrl`. */
export function describeTracks(
  sdpText: string,
  sdp: ParsedSdp,
  baseUrl: string,
): ClientDescription {
  const tracks = announcedTracks(sdp).map((track, index) => ({
    ...track,
    index,
    controlUrl: resolveControl(baseUrl, track.publisherControl),
  }));
  return {
    sdp: sdpText,
    parsed: sdp,
    baseUrl,
    aggregateUrl: resolveControl(baseUrl, sdp.control),
    tracks,
  };
}
