import { deepEqual, equal, ok } from "node:assert/strict";
import type { StreamDescription } from "./catalogue.ts";
import { buildSdp } from "./sdp.ts";
import {
  type AnnouncedCodec,
  announcedTracks,
  matchSetupTrack,
  MAX_SDP_LENGTH,
  MAX_SDP_MEDIA,
  type ParsedSdp,
  parseFmtp,
  parseSdp,
  SdpParseError,
  withH264ParameterSets,
  withH265ParameterSets,
} from "./sdp_parse.ts";
import { parseRequestTarget } from "./url.ts";

const FIXTURES = new URL("./testdata/sdp/", import.meta.url);

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, FIXTURES));
}

function parsed(text: string): ParsedSdp {
  const result = parseSdp(text);
  if (!result.ok) throw new Error(`parse failed: ${result.error} (${result.detail})`);
  return result.sdp;
}

function path(url: string): string {
  const target = parseRequestTarget(url);
  if (!target) throw new Error(`bad url ${url}`);
  return target.path;
}

/** What a fixture's tracks must look like. */
interface ExpectedTrack {
  media: "video" | "audio" | "application";
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
  codec: AnnouncedCodec | undefined;
  publisherControl: string | undefined;
  /** fmtp parameters that must be present with these values. */
  fmtp?: Record<string, string>;
}

/** A fixture, what it announces, and SETUP URLs its sender uses with the track each means. */
interface FixtureCase {
  file: string;
  sessionName: string;
  tracks: ExpectedTrack[];
  announce: string;
  setups: Array<[string, number]>;
}

const CASES: FixtureCase[] = [
  {
    // Captured from ffmpeg 5.1 `-f rtsp` (libx264 + native aac) against a recording endpoint.
    file: "ffmpeg_5.1_announce_h264_aac.sdp",
    sessionName: "No Name",
    announce: "rtsp://127.0.0.1:554/live/cam1",
    setups: [
      ["rtsp://127.0.0.1:554/live/cam1/streamid=0", 0],
      ["rtsp://127.0.0.1:554/live/cam1/streamid=1", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "streamid=0",
        fmtp: {
          "packetization-mode": "1",
          "profile-level-id": "42C01E",
          "sprop-parameter-sets": "Z0LAHtoCgL/lwEQAAAMABAAAAwDKPFi6gA==,aM4PyA==",
        },
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "MPEG4-GENERIC",
        clockRate: 44100,
        channels: 2,
        codec: "AAC",
        publisherControl: "streamid=1",
        fmtp: { mode: "AAC-hbr", config: "121056E500", sizelength: "13" },
      },
    ],
  },
  {
    // Captured from ffmpeg 5.1 `-f rtsp` with libx265 + libopus.
    file: "ffmpeg_5.1_announce_h265_opus.sdp",
    sessionName: "No Name",
    announce: "rtsp://127.0.0.1:554/live/hevc",
    setups: [["rtsp://127.0.0.1:554/live/hevc/streamid=1", 1]],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H265",
        clockRate: 90000,
        codec: "H265",
        publisherControl: "streamid=0",
        fmtp: { "sprop-pps": "RAHAc8GJ" },
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "opus",
        clockRate: 48000,
        channels: 2,
        codec: "OPUS",
        publisherControl: "streamid=1",
        fmtp: { "sprop-stereo": "1" },
      },
    ],
  },
  {
    // ffmpeg 5.1, pcm_s16be 44.1 kHz stereo: static payload type 10, no a=rtpmap at all.
    file: "ffmpeg_5.1_announce_l16_static.sdp",
    sessionName: "No Name",
    announce: "rtsp://127.0.0.1:554/live/pcm",
    setups: [["rtsp://127.0.0.1:554/live/pcm/streamid=0", 0]],
    tracks: [
      {
        media: "audio",
        payloadType: 10,
        encoding: "L16",
        clockRate: 44100,
        channels: 2,
        codec: undefined,
        publisherControl: "streamid=0",
      },
    ],
  },
  {
    // ffmpeg 5.1, pcm_s16be 48 kHz stereo: dynamic payload type with rtpmap.
    file: "ffmpeg_5.1_announce_l16_48k.sdp",
    sessionName: "No Name",
    announce: "rtsp://127.0.0.1:554/live/pcm",
    setups: [["rtsp://127.0.0.1:554/live/pcm/streamid=0", 0]],
    tracks: [
      {
        media: "audio",
        payloadType: 96,
        encoding: "L16",
        clockRate: 48000,
        channels: 2,
        codec: undefined,
        publisherControl: "streamid=0",
      },
    ],
  },
  {
    // ffmpeg 5.1, mjpeg + pcm_mulaw: static 26 and 0, neither with a=rtpmap.
    file: "ffmpeg_5.1_announce_mjpeg_pcmu.sdp",
    sessionName: "No Name",
    announce: "rtsp://127.0.0.1:554/live/mjpeg",
    setups: [["rtsp://127.0.0.1:554/live/mjpeg/streamid=0", 0]],
    tracks: [
      {
        media: "video",
        payloadType: 26,
        encoding: "JPEG",
        clockRate: 90000,
        codec: "MJPEG",
        publisherControl: "streamid=0",
      },
      {
        media: "audio",
        payloadType: 0,
        encoding: "PCMU",
        clockRate: 8000,
        codec: "PCMU",
        publisherControl: "streamid=1",
      },
    ],
  },
  {
    // Captured from GStreamer 1.22 rtspclientsink (x264enc + opusenc): audio first,
    // upper-case OPUS, c= per media, a=ssrc / a=mediaclk that must not be forwarded.
    file: "gstreamer_1.22_rtspclientsink_h264_opus.sdp",
    sessionName: "Session streamed with GStreamer",
    announce: "rtsp://127.0.0.1:554/live/gst",
    setups: [
      ["rtsp://127.0.0.1:554/live/gst/stream=0", 1],
      ["rtsp://127.0.0.1:554/live/gst/stream=1", 0],
    ],
    tracks: [
      {
        media: "audio",
        payloadType: 96,
        encoding: "OPUS",
        clockRate: 48000,
        channels: 2,
        codec: "OPUS",
        publisherControl: "stream=1",
        fmtp: { "sprop-stereo": "0" },
      },
      {
        media: "video",
        payloadType: 99,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "stream=0",
        fmtp: { "packetization-mode": "1" },
      },
    ],
  },
  {
    // GStreamer 1.22 rtspclientsink with x265enc + avenc_aac: AAC goes out as
    // MP4A-LATM (RFC 6416), which we relay without knowing the codec.
    file: "gstreamer_1.22_rtspclientsink_h265_mp4a_latm.sdp",
    sessionName: "Session streamed with GStreamer",
    announce: "rtsp://127.0.0.1:554/live/gst",
    setups: [["rtsp://127.0.0.1:554/live/gst/stream=0", 1]],
    tracks: [
      {
        media: "audio",
        payloadType: 96,
        encoding: "MP4A-LATM",
        clockRate: 44100,
        codec: undefined,
        publisherControl: "stream=1",
        fmtp: { cpresent: "0" },
      },
      {
        media: "video",
        payloadType: 99,
        encoding: "H265",
        clockRate: 90000,
        codec: "H265",
        publisherControl: "stream=0",
      },
    ],
  },
  {
    // Hikvision: absolute controls with a query, control numbering from 1, an
    // ONVIF metadata track, e=NONE, b= lines, vendor a=Media_header.
    file: "hikvision_ipc_h264_onvif.sdp",
    sessionName: "Media Presentation",
    announce: "rtsp://192.168.5.106:554/Streaming/Channels/101?transportmode=unicast",
    setups: [
      // Another host than the one in the SDP: only the path counts.
      ["rtsp://cam.example:554/Streaming/Channels/101/trackID=1?transportmode=unicast", 0],
      ["rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=3", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl:
          "rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1",
        fmtp: { "profile-level-id": "420029" },
      },
      {
        media: "application",
        payloadType: 107,
        encoding: "vnd.onvif.metadata",
        clockRate: 90000,
        codec: undefined,
        publisherControl:
          "rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=3?transportmode=unicast&profile=Profile_1",
      },
    ],
  },
  {
    // Dahua: relative trackID controls with gaps (0, 1, 4), AAC at 48 kHz without channels.
    file: "dahua_ipc_h264_aac_onvif.sdp",
    sessionName: "Media Server",
    announce: "rtsp://192.168.5.111:554/cam/realmonitor",
    setups: [
      ["rtsp://192.168.5.111:554/cam/realmonitor/trackID=0", 0],
      ["rtsp://192.168.5.111:554/cam/realmonitor/trackID=4", 2],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "trackID=0",
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "MPEG4-GENERIC",
        clockRate: 48000,
        codec: "AAC",
        publisherControl: "trackID=1",
        fmtp: { config: "1188" },
      },
      {
        media: "application",
        payloadType: 107,
        encoding: "vnd.onvif.metadata",
        clockRate: 90000,
        codec: undefined,
        publisherControl: "trackID=4",
      },
    ],
  },
  {
    // Dahua H.265 with PCMA on its static payload type, with an rtpmap this time.
    file: "dahua_ipc_h265_pcma.sdp",
    sessionName: "Media Server",
    announce: "rtsp://cam-driveway/cam/realmonitor",
    setups: [["rtsp://cam-driveway/cam/realmonitor/trackID=1", 1]],
    tracks: [
      {
        media: "video",
        payloadType: 98,
        encoding: "H265",
        clockRate: 90000,
        codec: "H265",
        publisherControl: "trackID=0",
        fmtp: { "profile-id": "1", "sprop-pps": "RAHA8saNA7NA" },
      },
      {
        media: "audio",
        payloadType: 8,
        encoding: "PCMA",
        clockRate: 8000,
        codec: "PCMA",
        publisherControl: "trackID=1",
      },
    ],
  },
  {
    // Reolink (LIVE555 2013): trackID counted from 1, a trailing `; profile=1;` in fmtp.
    file: "reolink_live555_h264_aac.sdp",
    sessionName: 'Session streamed by "preview"',
    announce: "rtsp://192.168.5.206/h264Preview_01_main",
    setups: [
      ["rtsp://192.168.5.206/h264Preview_01_main/trackID=1", 0],
      ["rtsp://192.168.5.206/h264Preview_01_main/trackID=2", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "trackID=1",
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "MPEG4-GENERIC",
        clockRate: 16000,
        codec: "AAC",
        publisherControl: "trackID=2",
        fmtp: { profile: "1", config: "1408" },
      },
    ],
  },
  {
    // Axis (GStreamer-based firmware): absolute controls `stream=N` with a
    // query, channels written as /1, mixed-case fmtp names (sizeLength).
    file: "axis_gstreamer_h264_aac.sdp",
    sessionName: "Session streamed with GStreamer",
    announce: "rtsp://192.168.0.90/axis-media/media.amp",
    setups: [
      ["rtsp://192.168.0.90/axis-media/media.amp/stream=0?audio=1&video=1", 0],
      ["rtsp://192.168.0.90/axis-media/media.amp/stream=1?audio=1&video=1", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "rtsp://192.168.0.90/axis-media/media.amp/stream=0?audio=1&video=1",
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "MPEG4-GENERIC",
        clockRate: 16000,
        codec: "AAC",
        publisherControl: "rtsp://192.168.0.90/axis-media/media.amp/stream=1?audio=1&video=1",
        fmtp: { sizelength: "13", bitrate: "32000" },
      },
    ],
  },
  {
    // Uniview (VCP IPC): `o=` and `c=` without address, no t=, absolute controls
    // naming the stream by media (`.../video`, `.../metadata`).
    file: "uniview_ipc_no_connection_address.sdp",
    sessionName: "VCP IPC Realtime stream",
    announce: "rtsp://192.168.0.22/media/video1",
    setups: [
      ["rtsp://192.168.0.22/media/video1/video", 0],
      ["rtsp://192.168.0.22/media/video1/metadata", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 105,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "rtsp://192.168.0.22/media/video1/video",
        fmtp: { "profile-level-id": "64001f" },
      },
      {
        media: "application",
        payloadType: 107,
        encoding: "vnd.onvif.metadata",
        clockRate: 90000,
        codec: undefined,
        publisherControl: "rtsp://192.168.0.22/media/video1/metadata",
        // Space-separated, not RFC-shaped: kept as one opaque parameter.
        fmtp: { decodertag: "h3c-v3 RTCP=0" },
      },
    ],
  },
  {
    // A LIVE555-based camera whose o= session id and version are decimals
    // (reported as mediamtx#2558); PCMU on payload type 0 without rtpmap.
    file: "ipcam_float_origin.sdp",
    sessionName: "IP Camera Video",
    announce: "rtsp://192.168.1.10/live",
    setups: [
      ["rtsp://192.168.1.10/live/track1", 0],
      ["rtsp://192.168.1.10/live/track2", 1],
    ],
    tracks: [
      {
        media: "video",
        payloadType: 96,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "track1",
      },
      {
        media: "audio",
        payloadType: 0,
        encoding: "PCMU",
        clockRate: 8000,
        codec: "PCMU",
        publisherControl: "track2",
      },
    ],
  },
  {
    // VIVOTEK NVR (mediamtx#5949): o= numbers beyond 64 bits, a=control:* twice.
    file: "vivotek_nvr_huge_origin.sdp",
    sessionName: "RTSP server",
    announce: "rtsp://nvr/Media/Live/Normal",
    setups: [["rtsp://nvr/Media/Live/Normal/trackID=1", 0]],
    tracks: [
      {
        media: "video",
        payloadType: 98,
        encoding: "H264",
        clockRate: 90000,
        codec: "H264",
        publisherControl: "trackID=1",
      },
    ],
  },
];

Deno.test("every fixture file is covered and keeps CRLF line ends", () => {
  const files = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).sort();
  deepEqual(files, CASES.map((c) => c.file).sort());
  for (const file of files) {
    const text = fixture(file);
    ok(text.includes("\r\n"), file);
    equal(text.replaceAll("\r\n", "").includes("\n"), false, file);
  }
});

Deno.test("fixtures: parse, announced tracks, SETUP matching", async (t) => {
  for (const c of CASES) {
    await t.step(c.file, () => {
      const sdp = parsed(fixture(c.file));
      equal(sdp.sessionName, c.sessionName);
      const tracks = announcedTracks(sdp);
      equal(tracks.length, c.tracks.length);
      tracks.forEach((track, i) => {
        const want = c.tracks[i];
        const d = track.description;
        equal(d.media, want.media, `track ${i} media`);
        equal(d.payloadType, want.payloadType, `track ${i} pt`);
        equal(d.encoding, want.encoding, `track ${i} encoding`);
        equal(d.clockRate, want.clockRate, `track ${i} clock`);
        equal(d.channels, want.channels, `track ${i} channels`);
        equal(d.control, `trackID=${i}`);
        equal(track.codec, want.codec, `track ${i} codec`);
        equal(track.publisherControl, want.publisherControl, `track ${i} control`);
        const fmtp = parseFmtp(d.fmtp ?? "");
        for (const [name, value] of Object.entries(want.fmtp ?? {})) {
          equal(fmtp.get(name), value, `track ${i} fmtp ${name}`);
        }
        // Publisher-side attributes never reach readers.
        for (const a of d.attributes ?? []) ok(/^(framerate|x-dimensions):/.test(a), a);
      });
      const announcePath = path(c.announce);
      for (const [setup, index] of c.setups) {
        equal(matchSetupTrack(announcePath, path(setup), tracks), index, setup);
        // Our own numbering works too, unless the publisher uses the same
        // names for other tracks (then its meaning wins, see matchSetupTrack).
        if (!tracks.some((track) => track.publisherControl?.includes("trackID="))) {
          equal(matchSetupTrack(announcePath, `${announcePath}/trackID=${index}`, tracks), index);
        }
      }
    });
  }
});

Deno.test("fixtures: buildSdp of the announced tracks parses back to the same tracks", async (t) => {
  for (const c of CASES) {
    await t.step(c.file, () => {
      const first = announcedTracks(parsed(fixture(c.file)));
      const stream: StreamDescription = {
        path: "/live",
        name: c.sessionName,
        tracks: first.map((track) => track.description),
      };
      const origin = { sessionId: "1", version: "1", address: "127.0.0.1" };
      const written = buildSdp(stream, origin);
      const again = parsed(written);
      equal(again.sessionName, c.sessionName);
      equal(again.control, "*");
      const second = announcedTracks(again);
      deepEqual(second.map((track) => track.description), stream.tracks);
      deepEqual(second.map((track) => track.codec), first.map((track) => track.codec));
      // Our trackID controls are what readers will SETUP.
      deepEqual(second.map((track) => track.publisherControl), stream.tracks.map((d) => d.control));
      // Stable: writing the re-parsed tracks gives the same text.
      equal(
        buildSdp({ ...stream, tracks: second.map((track) => track.description) }, origin),
        written,
      );
    });
  }
});

const MINIMAL = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=Cam\r\nt=0 0\r\n" +
  "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";

Deno.test("parseSdp leniency", async (t) => {
  await t.step("LF-only line ends (LIVE555-based DVRs, many hand-written test servers)", () => {
    const sdp = parsed(MINIMAL.replaceAll("\r\n", "\n"));
    deepEqual(sdp.media[0].formats, [96]);
    equal(sdp.media[0].control, "trackID=0");
  });

  await t.step("CR-only line ends (old Mac-born tools)", () => {
    equal(parsed(MINIMAL.replaceAll("\r\n", "\r")).media.length, 1);
  });

  await t.step("trailing spaces and blank lines (several Chinese IPC firmwares)", () => {
    const sdp = parsed(MINIMAL.replaceAll("\r\n", "  \r\n\r\n"));
    equal(sdp.sessionName, "Cam");
    equal(sdp.media[0].rtpmap.get(96)?.encoding, "H264");
    equal(sdp.media[0].control, "trackID=0");
  });

  await t.step("c=IN IP4 without an address (Uniview)", () => {
    const sdp = parsed(MINIMAL.replace("t=0 0", "c=IN IP4\r\nt=0 0"));
    equal(announcedTracks(sdp).length, 1);
  });

  await t.step("float o= numbers (LIVE555-based cameras, mediamtx#2558)", () => {
    const text = MINIMAL.replace("o=- 1 1", "o=- 1698210468.800125 1698210468.800125");
    equal(announcedTracks(parsed(text)).length, 1);
  });

  await t.step("o= numbers beyond 64 bits (VIVOTEK NVR, mediamtx#5949)", () => {
    const text = MINIMAL.replace("o=- 1 1", "o=RTSP 19599440071187478912 13656283801756621937");
    equal(announcedTracks(parsed(text)).length, 1);
  });

  await t.step("o= without address (Uniview `o=- 1001 1 IN`)", () => {
    equal(parsed(MINIMAL.replace("o=- 1 1 IN IP4 10.0.0.1", "o=- 1001 1 IN")).media.length, 1);
  });

  await t.step("missing s= and t= (cameras answering with media only, go2rtc#679)", () => {
    const sdp = parsed("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n");
    equal(sdp.sessionName, "");
    equal(announcedTracks(sdp).length, 1);
  });

  await t.step(
    "absolute, relative and * controls (Hikvision, ffmpeg, single-track LIVE555)",
    () => {
      const sdp = parsed(
        "v=0\r\ns=x\r\na=control:*\r\n" +
          "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:rtsp://cam/stream/trackID=1\r\n" +
          "m=audio 0 RTP/AVP 0\r\na=control:streamid=1\r\n" +
          "m=audio 0 RTP/AVP 8\r\na=control:*\r\n",
      );
      equal(sdp.control, "*");
      deepEqual(sdp.media.map((m) => m.control), [
        "rtsp://cam/stream/trackID=1",
        "streamid=1",
        "*",
      ]);
    },
  );

  await t.step(
    "rtpmap encoding case is kept; codecs match any case (GStreamer OPUS, ffmpeg opus)",
    () => {
      const sdp = parsed(
        "v=0\r\nm=audio 0 RTP/AVP 97 98 99\r\na=rtpmap:97 OPUS/48000/2\r\n" +
          "m=audio 0 RTP/AVP 98\r\na=rtpmap:98 opus/48000/2\r\n" +
          "m=video 0 RTP/AVP 99\r\na=rtpmap:99 h264/90000\r\n" +
          "m=audio 0 RTP/AVP 100\r\na=rtpmap:100 mpeg4-generic/48000/2\r\na=fmtp:100 MODE=aac-HBR;config=1190\r\n",
      );
      const tracks = announcedTracks(sdp);
      deepEqual(tracks.map((t) => t.description.encoding), [
        "OPUS",
        "opus",
        "h264",
        "mpeg4-generic",
      ]);
      deepEqual(tracks.map((t) => t.codec), ["OPUS", "OPUS", "H264", "AAC"]);
    },
  );

  await t.step("b= lines anywhere (ffmpeg b=AS per media, Hikvision session and media)", () => {
    const sdp = parsed(
      MINIMAL.replace(
        "m=video 0 RTP/AVP 96\r\n",
        "b=AS:5050\r\nm=video 0 RTP/AVP 96\r\nb=AS:5000\r\n",
      ),
    );
    deepEqual(sdp.media[0].attributes, []);
  });

  await t.step("m= with several formats (Dahua ONVIF back channel offers 20)", () => {
    const sdp = parsed(
      "v=0\r\nm=audio 0 RTP/AVP 116 115 0 8\r\na=rtpmap:116 MPEG4-GENERIC/64000\r\n" +
        "a=rtpmap:115 MPEG4-GENERIC/48000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
    );
    deepEqual(sdp.media[0].formats, [116, 115, 0, 8]);
    equal(sdp.media[0].rtpmap.size, 4);
    // The first format is the one relayed.
    equal(announcedTracks(sdp)[0].description.payloadType, 116);
  });

  await t.step(
    "unknown lines and line types are ignored (Anpviz `a=` garbage, vendor x= lines)",
    () => {
      const sdp = parsed(
        MINIMAL +
          "y=whatever\r\nsome free text\r\nZ=upper\r\na=\r\na=Media_header:MEDIAINFO=494D;\r\n",
      );
      deepEqual(sdp.media[0].attributes, ["", "Media_header:MEDIAINFO=494D;"]);
    },
  );

  await t.step(
    "static payload types without rtpmap, RFC 3551 table (ffmpeg PCMU/MJPEG, cameras)",
    () => {
      const sdp = parsed(
        "v=0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 0 RTP/AVP 8\r\nm=audio 0 RTP/AVP 14\r\n" +
          "m=video 0 RTP/AVP 26\r\n",
      );
      deepEqual(
        announcedTracks(sdp).map((t) => [
          t.description.payloadType,
          t.description.encoding,
          t.description.clockRate,
          t.codec,
        ]),
        [[0, "PCMU", 8000, "PCMU"], [8, "PCMA", 8000, "PCMA"], [14, "MPA", 90000, undefined], [
          26,
          "JPEG",
          90000,
          "MJPEG",
        ]],
      );
    },
  );

  await t.step("indented lines (some NVR firmwares)", () => {
    const sdp = parsed(MINIMAL.replaceAll("\r\na=", "\r\n  a="));
    equal(sdp.media[0].control, "trackID=0");
  });

  await t.step("a byte order mark (Windows encoders writing SDP files)", () => {
    equal(parsed("\uFEFF" + MINIMAL).sessionName, "Cam");
  });

  await t.step("s= of one space, as RFC 8866 §5.3 suggests for no name", () => {
    equal(parsed(MINIMAL.replace("s=Cam", "s= ")).sessionName, "");
  });

  await t.step("spaces inside rtpmap and an empty fmtp (some DVRs)", () => {
    const media =
      parsed("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96  H264 / 90000\r\na=fmtp:96\r\n")
        .media[0];
    deepEqual(media.rtpmap.get(96), { encoding: "H264", clockRate: 90000 });
    equal(media.fmtp.get(96), "");
    equal(
      announcedTracks({ sessionName: "", media: [media], attributes: [] })[0].description.fmtp,
      undefined,
    );
  });
});

Deno.test("announcedTracks leaves out what cannot be relayed", () => {
  const sdp = parsed(
    "v=0\r\n" +
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=sendonly\r\na=ssrc:1 cname:x\r\na=framerate:25\r\n" +
      "m=application 0 TCP/MSRP *\r\n" + // not RTP
      "m=text 0 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\n" + // no TrackDescription media type
      "m=audio 0 RTP/AVP 97\r\n" + // dynamic without rtpmap
      "m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000/1\r\n",
  );
  const tracks = announcedTracks(sdp);
  deepEqual(tracks.map((t) => t.description), [
    {
      media: "video",
      payloadType: 96,
      encoding: "H264",
      clockRate: 90000,
      control: "trackID=0",
      attributes: ["framerate:25"],
    },
    { media: "audio", payloadType: 8, encoding: "PCMA", clockRate: 8000, control: "trackID=1" },
  ]);
  equal(tracks[0].publisherControl, undefined);
});

Deno.test("matchSetupTrack", async (t) => {
  const tracks = [{ publisherControl: "trackID=1" }, { publisherControl: "trackID=2" }];
  await t.step("publisher controls win over our numbering (Reolink counts from 1)", () => {
    equal(matchSetupTrack("/cam", "/cam/trackID=1", tracks), 0);
    equal(matchSetupTrack("/cam", "/cam/trackID=2", tracks), 1);
    equal(matchSetupTrack("/cam", "/cam/trackID=0", tracks), 0);
  });
  await t.step("trailing slashes and the root path", () => {
    equal(matchSetupTrack("/cam/", "/cam/trackID=2/", tracks), 1);
    equal(matchSetupTrack("/", "/trackID=1", tracks), 0);
    equal(
      matchSetupTrack("/", "/trackID=1", [{ publisherControl: undefined }, {
        publisherControl: undefined,
      }]),
      1,
    );
  });
  await t.step("absolute control paths and percent-encoding", () => {
    const absolute = [{ publisherControl: "rtsp://10.0.0.1:554/a%20b/video?x=1" }];
    equal(matchSetupTrack("/a b", "/a b/video", absolute), 0);
    equal(matchSetupTrack("/a b", "/other/video", absolute), undefined);
    equal(matchSetupTrack("/x", "/abs/path", [{ publisherControl: "/abs/path?q" }]), 0);
  });
  await t.step("* or query-only controls: the aggregate, only when unambiguous", () => {
    equal(matchSetupTrack("/cam", "/cam", [{ publisherControl: "*" }]), 0);
    equal(matchSetupTrack("/cam", "/cam", [{ publisherControl: "?ctype=video" }]), 0);
    equal(
      matchSetupTrack("/cam", "/cam", [{ publisherControl: "*" }, { publisherControl: "*" }]),
      undefined,
    );
    equal(matchSetupTrack("/cam", "/cam", [{ publisherControl: undefined }]), 0);
  });
  await t.step("no match", () => {
    equal(matchSetupTrack("/cam", "/cam/trackID=7", tracks), undefined);
    equal(matchSetupTrack("/cam", "/cam/trackID=x", tracks), undefined);
    equal(matchSetupTrack("/cam", "/elsewhere/trackID=1", tracks), undefined);
    equal(matchSetupTrack("/cam", "/cam/trackID=1", []), undefined);
  });
});

Deno.test("parseFmtp", () => {
  deepEqual(
    [...parseFmtp(
      " packetization-mode=1; sprop-parameter-sets=Z0LA,aM4=;Profile-Level-Id = 42C01E ;;x",
    )],
    [
      ["packetization-mode", "1"],
      ["sprop-parameter-sets", "Z0LA,aM4="],
      ["profile-level-id", "42C01E"],
      ["x", ""],
    ],
  );
  equal(parseFmtp("a=1;A=2").get("a"), "1");
  equal(parseFmtp("").size, 0);
});

const SPS = Uint8Array.of(0x67, 0x64, 0x00, 0x28, 0xac, 0xd9);
const PPS = Uint8Array.of(0x68, 0xeb, 0xe3, 0xcb);

Deno.test("withH264ParameterSets", async (t) => {
  await t.step("replaces sets and profile in place, keeps the rest", () => {
    equal(
      withH264ParameterSets(
        "packetization-mode=1; Profile-Level-Id=42C01E; sprop-parameter-sets=AAAA,BBBB; x-custom=7",
        SPS,
        PPS,
      ),
      "packetization-mode=1;Profile-Level-Id=640028;sprop-parameter-sets=Z2QAKKzZ,aOvjyw==;x-custom=7",
    );
  });
  await t.step("adds packetization-mode=1 when absent", () => {
    equal(
      withH264ParameterSets(undefined, SPS, PPS),
      "packetization-mode=1;profile-level-id=640028;sprop-parameter-sets=Z2QAKKzZ,aOvjyw==",
    );
  });
  await t.step("keeps an explicit packetization-mode, drops duplicates of replaced names", () => {
    equal(
      withH264ParameterSets(
        "packetization-mode=0;sprop-parameter-sets=A;sprop-parameter-sets=B",
        SPS,
        PPS,
      ),
      "packetization-mode=0;sprop-parameter-sets=Z2QAKKzZ,aOvjyw==;profile-level-id=640028",
    );
  });
  await t.step("an SPS too short for a profile sets none", () => {
    equal(
      withH264ParameterSets("", Uint8Array.of(0x67, 0x42), PPS),
      "packetization-mode=1;sprop-parameter-sets=Z0I=,aOvjyw==",
    );
  });
  await t.step("the result parses back", () => {
    const fmtp = parseFmtp(withH264ParameterSets("packetization-mode=1", SPS, PPS));
    equal(fmtp.get("sprop-parameter-sets"), "Z2QAKKzZ,aOvjyw==");
  });
});

Deno.test("withH265ParameterSets", () => {
  const vps = Uint8Array.of(0x40, 0x01, 0x0c);
  const sps = Uint8Array.of(0x42, 0x01, 0x01);
  const pps = Uint8Array.of(0x44, 0x01, 0xc0);
  equal(
    withH265ParameterSets("profile-id=1;sprop-sps=old", vps, sps, pps),
    "profile-id=1;sprop-sps=QgEB;sprop-vps=QAEM;sprop-pps=RAHA",
  );
  equal(
    withH265ParameterSets(undefined, vps, sps, pps),
    "sprop-vps=QAEM;sprop-sps=QgEB;sprop-pps=RAHA",
  );
});

/** Milliseconds for `f`, to check hostile input is refused quickly. */
function timed(f: () => void): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

/** Generous bound: each case is a linear scan of at most a few hundred KiB. */
const FAST_MS = 200;

Deno.test("parseSdp refuses hostile input fast, without throwing", async (t) => {
  const media = "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  const binary = new TextDecoder().decode(
    Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff),
  );
  const cases: Array<[string, string, SdpParseError]> = [
    ["over 64 KiB", "v=0\r\n" + "a=x\r\n".repeat(MAX_SDP_LENGTH / 5), SdpParseError.TooLarge],
    ["10 MiB", "x".repeat(10 * 1024 * 1024), SdpParseError.TooLarge],
    ["10k media lines", "v=0\r\n" + media.repeat(10_000), SdpParseError.TooLarge],
    [
      "33 media within the size limit",
      "v=0\r\n" + media.repeat(MAX_SDP_MEDIA + 1),
      SdpParseError.TooManyMedia,
    ],
    [
      "a 5 KiB line",
      "v=0\r\na=fmtp:96 " + "A".repeat(5 * 1024) + "\r\n",
      SdpParseError.LineTooLong,
    ],
    ["one 60 KiB line", "v=0 " + "9".repeat(60 * 1024), SdpParseError.LineTooLong],
    ["binary", binary, SdpParseError.Binary],
    ["NUL inside", MINIMAL.replace("Cam", "C\0m"), SdpParseError.Binary],
    ["HTML", "<html><body>Unauthorized</body></html>\r\n", SdpParseError.NotSdp],
    ["empty", "", SdpParseError.NotSdp],
    ["v=1", "v=1\r\nm=video 0 RTP/AVP 96\r\n", SdpParseError.BadVersion],
  ];
  for (const [name, text, error] of cases) {
    await t.step(name, () => {
      let result: ReturnType<typeof parseSdp> | undefined;
      const ms = timed(() => {
        result = parseSdp(text);
      });
      equal(result?.ok, false);
      if (result && !result.ok) {
        equal(result.error, error);
        ok(result.detail.length > 0);
      }
      ok(ms < FAST_MS, `${name}: ${ms.toFixed(1)} ms`);
    });
  }

  await t.step("exactly 32 media is fine", () => {
    equal(parsed("v=0\r\n" + media.repeat(MAX_SDP_MEDIA)).media.length, MAX_SDP_MEDIA);
  });

  await t.step("malformed numbers never throw", () => {
    const sdp = parsed(
      "v=0\r\nm=video 99999999999999999999 RTP/AVP 96 300 -1 abc 1e3\r\n" +
        "a=rtpmap:96 H264/0\r\na=rtpmap:300 X/1\r\na=rtpmap:96 H264/99999999999999999999\r\n" +
        "a=fmtp:999 x\r\nm=\r\nm=audio\r\na=rtpmap:97 opus/48000/0\r\n",
    );
    deepEqual(sdp.media[0].formats, [96]);
    equal(sdp.media[0].rtpmap.size, 0);
    equal(sdp.media[0].fmtp.size, 0);
    equal(sdp.media.length, 3);
    deepEqual(announcedTracks(sdp), []);
  });
});
