/**
 * Fuzz target: `parseSdp` + `announcedTracks` (what an ANNOUNCE body goes
 * through), and `matchSetupTrack` / `parseFmtp` on the result. The tracks
 * must be well-formed, and the SDP the server writes for them (`buildSdp`)
 * must announce the same tracks again.
 * @module
 */

import { buildSdp } from "../../_rtsp/sdp.ts";
import {
  type AnnouncedTrack,
  announcedTracks,
  matchSetupTrack,
  MAX_SDP_LENGTH,
  MAX_SDP_MEDIA,
  parseFmtp,
  parseSdp,
} from "../../_rtsp/sdp_parse.ts";
import { check, type FuzzTarget, text } from "../check.ts";
import { sdpSeeds } from "../seeds.ts";

const MAX_PAYLOAD_TYPE = 127;
const MAX_CLOCK_RATE_HZ = 10_000_000;
/** Where the fuzzed publisher announces. */
const ANNOUNCE_PATH = "/pub";
const ORIGIN = { sessionId: "1", version: "1", address: "127.0.0.1" };

/** One announced track is well-formed. */
function checkTrack(track: AnnouncedTrack, index: number): void {
  const d = track.description;
  check(["video", "audio", "application"].includes(d.media), `media ${d.media}`);
  check(
    Number.isInteger(d.payloadType) && d.payloadType >= 0 && d.payloadType <= MAX_PAYLOAD_TYPE,
    `payload type ${d.payloadType}`,
  );
  check(d.clockRate > 0 && d.clockRate <= MAX_CLOCK_RATE_HZ, `clock rate ${d.clockRate}`);
  check(d.control === `trackID=${index}`, `control ${d.control} of track ${index}`);
  check(d.encoding.length > 0 && !/[\s/]/.test(d.encoding), `encoding ${d.encoding}`);
  check(d.fmtp === undefined || !/[\r\n]/.test(d.fmtp), "fmtp holds a line break");
}

/** The parts of a track that `buildSdp` must carry over. */
function signature(tracks: readonly AnnouncedTrack[]): string {
  return JSON.stringify(tracks.map((t) => [t.description, t.codec]));
}

/** The SDP target. */
export const sdpTarget: FuzzTarget = {
  name: "sdp",
  seeds: sdpSeeds,
  run(input) {
    const parsed = parseSdp(text(input));
    if (!parsed.ok) return;
    check(parsed.sdp.media.length <= MAX_SDP_MEDIA, `${parsed.sdp.media.length} media`);
    const tracks = announcedTracks(parsed.sdp);
    tracks.forEach(checkTrack);
    for (const track of tracks) parseFmtp(track.description.fmtp ?? "");
    for (let i = 0; i <= tracks.length; i++) {
      const path = `${ANNOUNCE_PATH}/${tracks[i]?.publisherControl ?? `trackID=${i}`}`;
      const match = matchSetupTrack(ANNOUNCE_PATH, path, tracks);
      check(match === undefined || match < tracks.length, `matched track ${match}`);
    }
    if (tracks.length === 0) return;
    const sdp = buildSdp(
      {
        path: ANNOUNCE_PATH,
        name: parsed.sdp.sessionName,
        tracks: tracks.map((t) => t.description),
      },
      ORIGIN,
    );
    // A body near the size limit may grow past it when rewritten; that is not served back as input.
    if (sdp.length > MAX_SDP_LENGTH) return;
    const again = parseSdp(sdp);
    check(again.ok, `own SDP does not parse: ${again.ok ? "" : again.detail}`);
    const tracksAgain = announcedTracks(again.sdp);
    check(
      signature(tracksAgain) === signature(tracks),
      `own SDP announces other tracks: ${signature(tracks)} / ${signature(tracksAgain)}`,
    );
  },
};
