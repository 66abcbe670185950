/**
 * Session descriptions for DESCRIBE (RFC 8866, with RFC 2326 Appendix C attributes).
 * @module
 */

import type { StreamDescription } from "./catalogue.ts";

/** Where and when an SDP is being written. */
export interface SdpOrigin {
  /** RFC 8866, 5.2: numeric session id, unique per stream. */
  readonly sessionId: string;
  /** RFC 8866, 5.2: version, bumped when the description changes. */
  readonly version: string;
  /** Our address as the client reached it, for `o=`. */
  readonly address: string;
}

function addressType(address: string): "IP4" | "IP6" {
  return address.includes(":") ? "IP6" : "IP4";
}

/**
 * A value for an SDP text field: RFC 8866, 9 `text` may not hold NUL, CR or
 * LF, and nothing a client chose may start a line of its own; other controls
 * are replaced too. Names come from paths, which are already refused when
 * they hold controls (400): this is the second wall, not the first.
 */
function sdpText(value: string): string {
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]/g, " ");
}

/**
 * Writes the SDP of a stream. Lines end in CRLF (RFC 8866, 5); `c=` is
 * `0.0.0.0` as RFC 2326 C.1.7 suggests for unicast, and each track's
 * `a=control` is relative to Content-Base (RFC 2326, C.1.1).
 */
export function buildSdp(stream: StreamDescription, origin: SdpOrigin): string {
  const lines = [
    "v=0",
    `o=- ${origin.sessionId} ${origin.version} IN ${addressType(origin.address)} ${origin.address}`,
    `s=${sdpText(stream.name) || "Stream"}`,
    "c=IN IP4 0.0.0.0",
    "t=0 0",
    "a=tool:rtsp.ts",
    "a=control:*",
    stream.durationSeconds === undefined
      ? "a=range:npt=0-"
      : `a=range:npt=0-${stream.durationSeconds.toFixed(3)}`,
  ];
  for (const track of stream.tracks) {
    lines.push(`m=${track.media} 0 RTP/AVP ${track.payloadType}`);
    const channels = track.channels !== undefined && track.channels !== 1
      ? `/${track.channels}`
      : "";
    lines.push(`a=rtpmap:${track.payloadType} ${track.encoding}/${track.clockRate}${channels}`);
    if (track.fmtp) lines.push(`a=fmtp:${track.payloadType} ${track.fmtp}`);
    for (const attribute of track.attributes ?? []) lines.push(`a=${attribute}`);
    lines.push(`a=control:${track.control}`);
  }
  return lines.join("\r\n") + "\r\n";
}
