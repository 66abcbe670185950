/**
 * A live H.264 test pattern written directly as a bitstream, with no encoder.
 *
 * Every coded macroblock is I_PCM (raw 8-bit samples, ITU-T H.264 §7.3.5), so the
 * decoder's output equals what was drawn, bit for bit. IDR pictures code all
 * macroblocks; P pictures code only macroblocks that changed since the previous
 * picture and skip the rest (P_Skip with a zero motion vector copies the
 * co-located block). Deblocking is switched off so skipped and PCM blocks stay
 * exact. Profile: Constrained Baseline, CAVLC. A picture that could exceed
 * {@link MAX_SLICE_NAL_BYTES} (every IDR at 320×240: 300 I_PCM macroblocks are
 * ~116 KB) is split into slices of whole macroblock rows, so no NAL unit is
 * larger than that; small P pictures stay one slice.
 *
 * Picture: 75% colour bars, a band with a bar sweeping left to right, and a
 * black band with an HH:MM:SS:FF clock and a white box that flashes for the
 * first ~100 ms of every second (in step with {@link PcmuTone}'s beep).
 *
 * Pure: no I/O, timers or randomness; frame(i) depends only on i and the options.
 */

import type { AccessUnit } from "./access_unit.ts";
import { BitWriter, rbspToNal } from "./bit_writer.ts";
import { FONT_HEIGHT, FONT_WIDTH, glyph } from "./font.ts";

// ---- Bitstream constants -------------------------------------------------------

/** RFC 6184 §8.2.1: H.264 RTP timestamps use a 90 kHz clock. */
const RTP_CLOCK_HZ = 90_000;
/** §6.3: a macroblock is 16×16 luma samples. */
const MB_SIZE_PX = 16;
/** Table 6-1: 4:2:0 chroma is subsampled by 2 in each direction (SubWidthC = SubHeightC = 2). */
const CHROMA_SUBSAMPLING = 2;
/** 4:2:0 chroma block of one macroblock: 8×8 samples per plane (MbWidthC = MbHeightC = 8). */
const MB_CHROMA_SIZE = MB_SIZE_PX / CHROMA_SUBSAMPLING;
/** §7.3.5: pcm_sample_luma count, 256 samples of 8 bits. */
const PCM_LUMA_BYTES = MB_SIZE_PX * MB_SIZE_PX;
/** §7.3.5: pcm_sample_chroma count per plane (Cb, then Cr). */
const PCM_CHROMA_PLANE_BYTES = MB_CHROMA_SIZE * MB_CHROMA_SIZE;
/** §7.3.5: bytes of one I_PCM macroblock's samples (4:2:0, 8 bit). */
const PCM_MB_BYTES = PCM_LUMA_BYTES + 2 * PCM_CHROMA_PLANE_BYTES;
/** Bits in a byte. */
const BITS_PER_BYTE = 8;

/** Table 7-1: nal_unit_type of a coded slice of a non-IDR picture. */
const NAL_TYPE_SLICE_NON_IDR = 1;
/** Table 7-1: nal_unit_type of a coded slice of an IDR picture. */
const NAL_TYPE_SLICE_IDR = 5;
/** Table 7-1: nal_unit_type of a sequence parameter set. */
const NAL_TYPE_SPS = 7;
/** Table 7-1: nal_unit_type of a picture parameter set. */
const NAL_TYPE_PPS = 8;
/** §7.4.1: nal_ref_idc for parameter sets and IDR pictures (highest priority). */
const NAL_REF_IDC_HIGHEST = 3;
/** §7.4.1: nal_ref_idc for P pictures; non-zero because each is the next picture's reference. */
const NAL_REF_IDC_REFERENCE = 2;
/** §7.3.1: nal_ref_idc sits above the 5-bit nal_unit_type in the header byte. */
const NAL_REF_IDC_SHIFT = 5;

/** Annex A.2.1: profile_idc of the Baseline profile. */
const PROFILE_IDC_BASELINE = 66;
/** §7.4.2.1.1: constraint_set0_flag (obeys Baseline) — bit 7 of the constraint byte. */
const CONSTRAINT_SET0_FLAG = 0x80;
/** §7.4.2.1.1 / A.2.1.1: constraint_set1_flag (obeys Main) — with set0, "Constrained Baseline". */
const CONSTRAINT_SET1_FLAG = 0x40;
/** §7.3.2.1.1: the constraint flags and reserved_zero_2bits fill one byte. */
const CONSTRAINT_BYTE_BITS = 8;
/** §7.3.2.1.1: profile_idc and level_idc are u(8). */
const IDC_BITS = 8;
/** The only parameter set of each kind this stream uses. */
const PARAMETER_SET_ID = 0;
/** §7.4.2.1.1: log2_max_frame_num_minus4 = 0, so frame_num is u(4) and MaxFrameNum = 16. */
const LOG2_MAX_FRAME_NUM = 4;
/** §7.4.2.1.1: log2_max_frame_num is coded minus this offset. */
const LOG2_MAX_FRAME_NUM_OFFSET = 4;
/** §8.2.1.3: pic_order_cnt_type 2 — output order is decoding order, no POC syntax in slices. */
const PIC_ORDER_CNT_TYPE = 2;
/** §7.4.2.1.1: max_num_ref_frames; each P picture refers only to the one before it. */
const MAX_NUM_REF_FRAMES = 1;
/** Table E-1: aspect_ratio_idc 1 = square samples (1:1). */
const ASPECT_RATIO_IDC_SQUARE = 1;
/** §E.2.1: frame rate = time_scale / (2 · num_units_in_tick) for progressive frames. */
const TICKS_PER_FRAME = 2;
/** §E.2.1: num_units_in_tick and time_scale are u(32). */
const TIMING_FIELD_BITS = 32;
/** §E.2.1: log2_max_mv_length_{horizontal,vertical}, the default (15); all our vectors are 0. */
const LOG2_MAX_MV_LENGTH = 15;
/** §E.2.1: max_num_reorder_frames 0 — pictures may be output as soon as decoded. */
const MAX_NUM_REORDER_FRAMES = 0;
/** §E.2.1: max_dec_frame_buffering 1 — the single reference frame. */
const MAX_DEC_FRAME_BUFFERING = 1;

/** §7.3.2.2: weighted_bipred_idc is u(2). */
const WEIGHTED_BIPRED_IDC_BITS = 2;

/** Table 7-6: slice_type 7 = I, and every slice of the picture is I. */
const SLICE_TYPE_I_ALL = 7;
/** Table 7-6: slice_type 5 = P, and every slice of the picture is P. */
const SLICE_TYPE_P_ALL = 5;
/** H.264 Table 7-11: mb_type I_PCM in an I slice. */
const MB_TYPE_I_PCM_I_SLICE = 25;
/** H.264 Table 7-13 / §7.4.5: intra mb_types in a P slice are offset by 5, so I_PCM is 5 + 25. */
const MB_TYPE_I_PCM_P_SLICE = 30;
/** §7.4.3: disable_deblocking_filter_idc 1 = filter off, so pixels equal the PCM samples. */
const DISABLE_DEBLOCKING_FILTER = 1;
/** §7.4.3: idr_pic_id is 0..65535; consecutive IDR pictures must differ. */
const IDR_PIC_ID_MODULO = 65_536;

// ---- Level limits (Annex A, Table A-1) ----------------------------------------

/** Table A-1 row: level_idc, MaxMBPS (MB/s), MaxFS (MBs), MaxDpbMbs, MaxBR and MaxCPB (kbit). */
type LevelLimits = readonly [number, number, number, number, number, number];
/** Table A-1 (level 1b omitted: it needs constraint_set3_flag signalling in Baseline). */
const LEVEL_TABLE: readonly LevelLimits[] = [
  [10, 1_485, 99, 396, 64, 175],
  [11, 3_000, 396, 900, 192, 500],
  [12, 6_000, 396, 2_376, 384, 1_000],
  [13, 11_880, 396, 2_376, 768, 2_000],
  [20, 11_880, 396, 2_376, 2_000, 2_000],
  [21, 19_800, 792, 4_752, 4_000, 4_000],
  [22, 20_250, 1_620, 8_100, 4_000, 4_000],
  [30, 40_500, 1_620, 8_100, 10_000, 10_000],
  [31, 108_000, 3_600, 18_000, 14_000, 14_000],
  [32, 216_000, 5_120, 20_480, 20_000, 20_000],
  [40, 245_760, 8_192, 32_768, 20_000, 25_000],
  [41, 245_760, 8_192, 32_768, 50_000, 62_500],
  [42, 522_240, 8_704, 34_816, 50_000, 62_500],
  [50, 589_824, 22_080, 110_400, 135_000, 135_000],
  [51, 983_040, 36_864, 184_320, 240_000, 240_000],
  [52, 2_073_600, 36_864, 184_320, 240_000, 240_000],
];
/** Table A-1: MaxBR and MaxCPB are in units of cpbBrVclFactor = 1000 bits for Baseline. */
const CPB_BR_VCL_FACTOR = 1000;
/** A.3.1: PicWidthInMbs and FrameHeightInMbs must each be ≤ sqrt(MaxFS · 8). */
const MAX_FS_ASPECT_FACTOR = 8;
/**
 * Generous bound on the non-sample bits of one coded macroblock in a P slice:
 * mb_skip_run (≤ 2·log2(MBs)+1 bits), mb_type (9 bits) and ≤ 7 alignment bits.
 */
const MB_OVERHEAD_BITS_MAX = 80;
/** Generous bound on slice header + trailing bits of one slice. */
const SLICE_OVERHEAD_BITS_MAX = 256;

// ---- Slices ---------------------------------------------------------------------

/**
 * Largest slice NAL unit this source emits, in bytes (NAL header and emulation
 * prevention included). live555-based clients (openRTSP, older VLC) give each
 * NAL unit a 100,000-byte buffer by default and truncate longer ones, which cut
 * every one-slice I_PCM keyframe (~116 KB at 320×240) and broke the picture.
 * 60,000 keeps a 40% margin under that default, while slices stay few (3 per
 * IDR at 320×240). Slices are whole macroblock rows, balanced in size: at
 * 320×240 a row of 20 I_PCM macroblocks is ~7.7 KB, 7 rows would fit, and 15
 * rows split evenly as 3 slices of 5 rows (~38.6 KB each).
 */
export const MAX_SLICE_NAL_BYTES = 60_000;
/** Upper bound on one coded macroblock's bytes in a slice NAL unit (samples + overhead). */
const MB_BYTES_MAX = PCM_MB_BYTES + Math.ceil(MB_OVERHEAD_BITS_MAX / BITS_PER_BYTE);
/** Upper bound on a slice NAL unit's bytes besides its macroblocks (NAL header, slice header, trailing bits). */
const SLICE_BYTES_MAX = 1 + Math.ceil(SLICE_OVERHEAD_BITS_MAX / BITS_PER_BYTE);

// ---- Picture ----------------------------------------------------------------

/** ITU-R BT.601 luma weight of red (Kr). */
const BT601_KR = 0.299;
/** ITU-R BT.601 luma weight of blue (Kb). */
const BT601_KB = 0.114;
/** ITU-R BT.601 8-bit video range: black level of Y. */
const LUMA_BLACK = 16;
/** ITU-R BT.601 8-bit video range: Y spans 16..235. */
const LUMA_SPAN = 219;
/** ITU-R BT.601 8-bit video range: Cb/Cr of a grey. */
const CHROMA_ZERO = 128;
/** ITU-R BT.601 8-bit video range: Cb/Cr span 16..240. */
const CHROMA_SPAN = 224;
/** Full scale of an 8-bit RGB component. */
const RGB_MAX = 255;
/** 75% amplitude of RGB_MAX, the usual level of colour bars (EBU/SMPTE 75% bars). */
const RGB_75 = 191;
/** Grey level of the motion band behind the sweeping bar. */
const RGB_BAND_GREY = 64;

/** Palette indices; the canvas stores one per luma pixel. */
const enum Colour {
  Black,
  White,
  BandGrey,
  Grey75,
  Yellow75,
  Cyan75,
  Green75,
  Magenta75,
  Red75,
  Blue75,
}
/** RGB of each palette entry, in Colour order. */
const PALETTE_RGB: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [RGB_MAX, RGB_MAX, RGB_MAX],
  [RGB_BAND_GREY, RGB_BAND_GREY, RGB_BAND_GREY],
  [RGB_75, RGB_75, RGB_75],
  [RGB_75, RGB_75, 0],
  [0, RGB_75, RGB_75],
  [0, RGB_75, 0],
  [RGB_75, 0, RGB_75],
  [RGB_75, 0, 0],
  [0, 0, RGB_75],
];
/** Bars left to right, in the classic order of decreasing luma. */
const BAR_COLOURS: readonly Colour[] = [
  Colour.Grey75,
  Colour.Yellow75,
  Colour.Cyan75,
  Colour.Green75,
  Colour.Magenta75,
  Colour.Red75,
  Colour.Blue75,
  Colour.Black,
];

/** Font pixels are drawn as squares of an even size so each covers whole chroma samples. */
const FONT_SCALE_STEP = 2;
/** Picture width that gets one FONT_SCALE_STEP of font size. */
const WIDTH_PER_FONT_STEP_PX = 320;
/** Blank font columns between characters. */
export const FONT_GAP_COLUMNS = 1;
/** "HH:MM:SS:FF" */
const TIMECODE_CHARS = 11;
/** Margin in units of the font scale, so it grows with the text. */
const MARGIN_IN_FONT_PIXELS = 2;
/** Moving bar width in units of the font scale. */
const MOVING_BAR_WIDTH_IN_FONT_PIXELS = 4;
/** Height of the motion band is the picture height over this, in whole macroblock rows. */
const MOTION_BAND_HEIGHT_DIVISOR = 8;
/** The sweeping bar crosses the picture once every this many seconds. */
const SWEEP_SECONDS = 2;
/** The flash box is lit for the first 1/FLASH_FRACTION of each second (~100 ms). */
const FLASH_FRACTION = 10;
/** Timecode field arithmetic. */
const SECONDS_PER_MINUTE = 60;
const MINUTES_PER_HOUR = 60;
const HOURS_PER_DAY = 24;
/** The FF field of the timecode has two digits. */
const MAX_FPS = 100;
/** Digits per timecode field. */
const TIMECODE_FIELD_DIGITS = 2;

/** A rectangle in luma pixels; every edge is on an even coordinate. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where the pattern draws things, for tests and for anyone picking sample points. */
export interface TestPatternLayout {
  /** The colour bars, left to right. */
  readonly bars: readonly Rect[];
  /** The grey band the bar sweeps across. */
  readonly motionBand: Rect;
  /** The sweeping bar's size and vertical position (x varies per frame). */
  readonly movingBar: Rect;
  /** The black band holding the clock and the flash box. */
  readonly clockBand: Rect;
  /** Bounding box of the HH:MM:SS:FF text. */
  readonly clock: Rect;
  /** The box that is white for the first ~100 ms of each second, else black. */
  readonly flashBox: Rect;
  /** Size of one font pixel, in luma pixels. */
  readonly fontScale: number;
}

/** Options of {@link H264TestPattern}. */
export interface H264TestPatternOptions {
  /** Picture width in pixels, a multiple of 16. Default 320. */
  width?: number;
  /** Picture height in pixels, a multiple of 16. Default 240. */
  height?: number;
  /** Frames per second, an integer 1..100. Default 25. */
  fps?: number;
  /** Distance between IDR pictures, in frames. Default 25. */
  gopFrames?: number;
}

/** What one picture shows, beyond the static background. */
interface Scene {
  readonly barX: number;
  readonly timecode: string;
  readonly flash: boolean;
}

function even(v: number): number {
  return Math.floor(v / 2) * 2;
}

function roundUpToMb(v: number): number {
  return Math.ceil(v / MB_SIZE_PX) * MB_SIZE_PX;
}

function nalHeader(refIdc: number, type: number): number {
  return (refIdc << NAL_REF_IDC_SHIFT) | type;
}

function clampByte(v: number): number {
  return Math.min(RGB_MAX, Math.max(0, Math.round(v)));
}

/** BT.601 video-range Y, Cb, Cr of an 8-bit RGB colour. */
function rgbToYcbcr(r: number, g: number, b: number): [number, number, number] {
  const kg = 1 - BT601_KR - BT601_KB;
  const ey = (BT601_KR * r + kg * g + BT601_KB * b) / RGB_MAX;
  const ecb = (b / RGB_MAX - ey) / (2 * (1 - BT601_KB));
  const ecr = (r / RGB_MAX - ey) / (2 * (1 - BT601_KR));
  return [
    clampByte(LUMA_BLACK + LUMA_SPAN * ey),
    clampByte(CHROMA_ZERO + CHROMA_SPAN * ecb),
    clampByte(CHROMA_ZERO + CHROMA_SPAN * ecr),
  ];
}

function checkInteger(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`H264TestPattern: ${name} must be an integer ${min}..${max}, got ${v}`);
  }
}

/**
 * Live H.264 test pattern built from I_PCM and P_Skip macroblocks.
 *
 * `frame(i)` is deterministic in `i`. Sequential calls (i after i − 1) reuse the
 * previous picture and touch only the macroblocks that can change; any other
 * call order re-renders what it needs and yields the same bytes.
 */
export class H264TestPattern {
  /** Sequence parameter set NAL unit (no start code). */
  readonly sps: Uint8Array;
  /** Picture parameter set NAL unit (no start code). */
  readonly pps: Uint8Array;
  /** level_idc signalled in the SPS (Table A-1), e.g. 21 for level 2.1. */
  readonly levelIdc: number;
  /** Picture width in pixels. */
  readonly width: number;
  /** Picture height in pixels. */
  readonly height: number;
  /** Frames per second. */
  readonly fps: number;
  /** Frames from one IDR picture to the next. */
  readonly gopFrames: number;
  /** Geometry of the drawn elements. */
  readonly layout: TestPatternLayout;

  readonly #mbCols: number;
  readonly #mbCount: number;
  /** Macroblocks per slice when a picture must be split (whole rows if a row fits). */
  readonly #mbsPerSlice: number;
  /** Slices of a split picture: ceil(#mbCount / #mbsPerSlice). */
  readonly #slicesPerPicture: number;
  /** 0, 1, …, #mbCount − 1: the coded macroblocks of an IDR picture. */
  readonly #allMbs: Int32Array;
  readonly #palY: Uint8Array;
  readonly #palCb: Uint8Array;
  readonly #palCr: Uint8Array;
  /** Static background, one palette index per luma pixel. */
  readonly #background: Uint8Array;
  /** The picture #shownIndex, one palette index per luma pixel. */
  readonly #canvas: Uint8Array;
  /** The same picture as I_PCM payloads in macroblock order, PCM_MB_BYTES each. */
  readonly #mbBytes: Uint8Array;
  readonly #scratch = new Uint8Array(PCM_MB_BYTES);
  readonly #mbMarks: Uint8Array;
  readonly #changed: Int32Array;
  readonly #writer = new BitWriter();
  readonly #sweepFrames: number;
  readonly #flashFrames: number;
  #shownIndex = -1;
  #shownScene: Scene | undefined;

  constructor(options: H264TestPatternOptions = {}) {
    const { width = 320, height = 240, fps = 25, gopFrames = 25 } = options;
    checkInteger("width", width, MB_SIZE_PX, Number.MAX_SAFE_INTEGER);
    checkInteger("height", height, MB_SIZE_PX, Number.MAX_SAFE_INTEGER);
    if (width % MB_SIZE_PX !== 0 || height % MB_SIZE_PX !== 0) {
      throw new RangeError(`H264TestPattern: ${width}x${height} is not a multiple of 16`);
    }
    checkInteger("fps", fps, 1, MAX_FPS);
    checkInteger("gopFrames", gopFrames, 1, Number.MAX_SAFE_INTEGER);
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.gopFrames = gopFrames;
    this.#mbCols = width / MB_SIZE_PX;
    this.#mbCount = this.#mbCols * (height / MB_SIZE_PX);
    this.#sweepFrames = SWEEP_SECONDS * fps;
    this.#flashFrames = Math.ceil(fps / FLASH_FRACTION);
    this.layout = H264TestPattern.#computeLayout(width, height);

    const n = PALETTE_RGB.length;
    this.#palY = new Uint8Array(n);
    this.#palCb = new Uint8Array(n);
    this.#palCr = new Uint8Array(n);
    PALETTE_RGB.forEach(([r, g, b], i) => {
      [this.#palY[i], this.#palCb[i], this.#palCr[i]] = rgbToYcbcr(r, g, b);
    });

    this.#background = new Uint8Array(width * height);
    this.#layoutBackground();
    this.#canvas = new Uint8Array(width * height);
    this.#mbBytes = new Uint8Array(this.#mbCount * PCM_MB_BYTES);
    this.#mbMarks = new Uint8Array(this.#mbCount);
    this.#changed = new Int32Array(this.#mbCount);
    this.#allMbs = Int32Array.from({ length: this.#mbCount }, (_, i) => i);
    this.#mbsPerSlice = H264TestPattern.#splitSliceMbs(this.#mbCols, this.#mbCount);
    this.#slicesPerPicture = Math.ceil(this.#mbCount / this.#mbsPerSlice);

    this.levelIdc = this.#chooseLevel();
    this.sps = this.#buildSps();
    this.pps = this.#buildPps();
  }

  /** RTP timestamp (90 kHz) of frame `index`. */
  timestamp(index: number): number {
    return Math.floor((index * RTP_CLOCK_HZ) / this.fps);
  }

  /**
   * The access unit of frame `index` (≥ 0): [SPS, PPS, IDR slices…] when
   * index % gopFrames == 0, else [P slice(s)]. No slice NAL unit is larger than
   * {@link MAX_SLICE_NAL_BYTES}.
   */
  frame(index: number): AccessUnit {
    checkInteger("frame index", index, 0, Number.MAX_SAFE_INTEGER);
    const timestamp = this.timestamp(index);
    const posInGop = index % this.gopFrames;
    if (posInGop === 0) {
      this.#show(index);
      const idrPicId = Math.floor(index / this.gopFrames) % IDR_PIC_ID_MODULO;
      const slices = this.#encodePicture(idrPicId, 0, this.#allMbs);
      return { timestamp, units: [this.sps, this.pps, ...slices], keyframe: true };
    }
    if (this.#shownIndex !== index - 1) this.#show(index - 1);
    const changed = this.#step(index);
    const frameNum = posInGop % (1 << LOG2_MAX_FRAME_NUM);
    return { timestamp, units: this.#encodePicture(undefined, frameNum, changed), keyframe: false };
  }

  /**
   * The decoded picture of frame `index` as planar YUV 4:2:0 (I420: Y, then Cb,
   * then Cr), exactly what a conforming decoder outputs for this stream.
   */
  yuv420(index: number): Uint8Array {
    checkInteger("frame index", index, 0, Number.MAX_SAFE_INTEGER);
    this.#show(index);
    const { width: w, height: h } = this;
    const cw = w / CHROMA_SUBSAMPLING;
    const ch = h / CHROMA_SUBSAMPLING;
    const out = new Uint8Array(w * h + 2 * cw * ch);
    const canvas = this.#canvas;
    for (let i = 0; i < w * h; i++) out[i] = this.#palY[canvas[i]];
    let o = w * h;
    for (const pal of [this.#palCb, this.#palCr]) {
      for (let y = 0; y < ch; y++) {
        const row = y * CHROMA_SUBSAMPLING * w;
        for (let x = 0; x < cw; x++) out[o++] = pal[canvas[row + x * CHROMA_SUBSAMPLING]];
      }
    }
    return out;
  }

  // ---- Layout and scene --------------------------------------------------------

  static #computeLayout(w: number, h: number): TestPatternLayout {
    const fontScale = FONT_SCALE_STEP * Math.max(1, Math.floor(w / WIDTH_PER_FONT_STEP_PX));
    const margin = MARGIN_IN_FONT_PIXELS * fontScale;
    const textW = (TIMECODE_CHARS * (FONT_WIDTH + FONT_GAP_COLUMNS) - FONT_GAP_COLUMNS) *
      fontScale;
    const textH = FONT_HEIGHT * fontScale;
    // Whole macroblock rows per band, so a band edge never splits a macroblock.
    const clockBandH = roundUpToMb(textH + 4 * margin);
    const clockBand = { x: 0, y: h - clockBandH, width: w, height: clockBandH };
    const clock = {
      x: 2 * margin,
      y: clockBand.y + even((clockBandH - textH) / 2),
      width: textW,
      height: textH,
    };
    const flashSide = clockBandH - 2 * margin;
    const flashBox = {
      x: w - 2 * margin - flashSide,
      y: clockBand.y + margin,
      width: flashSide,
      height: flashSide,
    };
    if (clock.x + clock.width + 2 * margin > flashBox.x) {
      throw new RangeError(`H264TestPattern: ${w} px is too narrow for the clock`);
    }
    const motionBandH = MB_SIZE_PX *
      Math.max(1, Math.round(h / MB_SIZE_PX / MOTION_BAND_HEIGHT_DIVISOR));
    const motionBand = { x: 0, y: clockBand.y - motionBandH, width: w, height: motionBandH };
    if (motionBand.y < MB_SIZE_PX) {
      throw new RangeError(`H264TestPattern: ${h} px is too short for the pattern`);
    }
    const movingBar = {
      x: 0,
      y: motionBand.y + margin,
      width: MOVING_BAR_WIDTH_IN_FONT_PIXELS * fontScale,
      height: motionBandH - 2 * margin,
    };
    const bars = BAR_COLOURS.map((_, i) => {
      const x0 = even((i * w) / BAR_COLOURS.length);
      const x1 = even(((i + 1) * w) / BAR_COLOURS.length);
      return { x: x0, y: 0, width: x1 - x0, height: motionBand.y };
    });
    return { bars, motionBand, movingBar, clockBand, clock, flashBox, fontScale };
  }

  #layoutBackground(): void {
    const { bars, motionBand, clockBand } = this.layout;
    bars.forEach((r, i) => this.#fill(this.#background, r, BAR_COLOURS[i]));
    this.#fill(this.#background, motionBand, Colour.BandGrey);
    this.#fill(this.#background, clockBand, Colour.Black);
  }

  #scene(index: number): Scene {
    const travel = this.width - this.layout.movingBar.width;
    const barX = even(((index % this.#sweepFrames) * travel) / this.#sweepFrames);
    const ff = index % this.fps;
    const seconds = Math.floor(index / this.fps);
    const fields = [
      Math.floor(seconds / (SECONDS_PER_MINUTE * MINUTES_PER_HOUR)) % HOURS_PER_DAY,
      Math.floor(seconds / SECONDS_PER_MINUTE) % MINUTES_PER_HOUR,
      seconds % SECONDS_PER_MINUTE,
      ff,
    ];
    const timecode = fields.map((v) => String(v).padStart(TIMECODE_FIELD_DIGITS, "0")).join(":");
    return { barX, timecode, flash: ff < this.#flashFrames };
  }

  /** Rectangles a scene draws over the background (everything that can change). */
  #sceneRects(s: Scene): Rect[] {
    const rects: Rect[] = [{ ...this.layout.movingBar, x: s.barX }, this.layout.clock];
    if (s.flash) rects.push(this.layout.flashBox);
    return rects;
  }

  #draw(s: Scene): void {
    const { movingBar, clock, fontScale } = this.layout;
    this.#fill(this.#canvas, { ...movingBar, x: s.barX }, Colour.White);
    const advance = (FONT_WIDTH + FONT_GAP_COLUMNS) * fontScale;
    for (let c = 0; c < s.timecode.length; c++) {
      const cells = glyph(s.timecode[c]);
      for (let gy = 0; gy < FONT_HEIGHT; gy++) {
        for (let gx = 0; gx < FONT_WIDTH; gx++) {
          if (!cells[gy * FONT_WIDTH + gx]) continue;
          this.#fill(this.#canvas, {
            x: clock.x + c * advance + gx * fontScale,
            y: clock.y + gy * fontScale,
            width: fontScale,
            height: fontScale,
          }, Colour.White);
        }
      }
    }
    if (s.flash) this.#fill(this.#canvas, this.layout.flashBox, Colour.White);
  }

  #fill(target: Uint8Array, r: Rect, colour: Colour): void {
    for (let y = r.y; y < r.y + r.height; y++) {
      const row = y * this.width;
      target.fill(colour, row + r.x, row + r.x + r.width);
    }
  }

  #restore(r: Rect): void {
    for (let y = r.y; y < r.y + r.height; y++) {
      const row = y * this.width;
      this.#canvas.set(this.#background.subarray(row + r.x, row + r.x + r.width), row + r.x);
    }
  }

  // ---- Picture state -------------------------------------------------------------

  /** Makes the canvas and macroblock bytes show frame `index`. */
  #show(index: number): void {
    if (this.#shownIndex === index) return;
    if (this.#shownScene && this.#shownIndex === index - 1) {
      this.#step(index);
      return;
    }
    const scene = this.#scene(index);
    this.#canvas.set(this.#background);
    this.#draw(scene);
    for (let mb = 0; mb < this.#mbCount; mb++) this.#pcm(mb, this.#mbBytes, mb * PCM_MB_BYTES);
    this.#shownIndex = index;
    this.#shownScene = scene;
  }

  /**
   * Advances from frame index − 1 (shown) to `index`; returns the addresses of the
   * macroblocks whose samples changed, ascending, as a view of a reused buffer.
   */
  #step(index: number): Int32Array {
    const prev = this.#shownScene!;
    const next = this.#scene(index);
    const prevRects = this.#sceneRects(prev);
    const nextRects = this.#sceneRects(next);
    for (const r of prevRects) this.#restore(r);
    this.#draw(next);
    // Only macroblocks under an old or new overlay can differ; compare those.
    for (const r of prevRects) this.#mark(r);
    for (const r of nextRects) this.#mark(r);
    const marks = this.#mbMarks;
    const scratch = this.#scratch;
    const bytes = this.#mbBytes;
    let count = 0;
    for (let mb = 0; mb < this.#mbCount; mb++) {
      if (!marks[mb]) continue;
      marks[mb] = 0;
      this.#pcm(mb, scratch, 0);
      const base = mb * PCM_MB_BYTES;
      let same = true;
      for (let i = 0; i < PCM_MB_BYTES; i++) {
        if (scratch[i] !== bytes[base + i]) {
          same = false;
          break;
        }
      }
      if (same) continue;
      bytes.set(scratch, base);
      this.#changed[count++] = mb;
    }
    this.#shownIndex = index;
    this.#shownScene = next;
    return this.#changed.subarray(0, count);
  }

  #mark(r: Rect): void {
    const x0 = Math.floor(r.x / MB_SIZE_PX);
    const x1 = Math.floor((r.x + r.width - 1) / MB_SIZE_PX);
    const y0 = Math.floor(r.y / MB_SIZE_PX);
    const y1 = Math.floor((r.y + r.height - 1) / MB_SIZE_PX);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) this.#mbMarks[y * this.#mbCols + x] = 1;
    }
  }

  /** Writes macroblock `mb`'s I_PCM samples (§7.3.5: luma raster, then Cb, then Cr). */
  #pcm(mb: number, out: Uint8Array, offset: number): void {
    const w = this.width;
    const canvas = this.#canvas;
    const palY = this.#palY;
    const origin = Math.floor(mb / this.#mbCols) * MB_SIZE_PX * w +
      (mb % this.#mbCols) * MB_SIZE_PX;
    let o = offset;
    for (let y = 0; y < MB_SIZE_PX; y++) {
      const row = origin + y * w;
      for (let x = 0; x < MB_SIZE_PX; x++) out[o++] = palY[canvas[row + x]];
    }
    // Chroma takes the top-left pixel of each 2×2 block; drawing is 2-pixel aligned,
    // so all four pixels always agree.
    for (const pal of [this.#palCb, this.#palCr]) {
      for (let y = 0; y < MB_CHROMA_SIZE; y++) {
        const row = origin + y * CHROMA_SUBSAMPLING * w;
        for (let x = 0; x < MB_CHROMA_SIZE; x++) {
          out[o++] = pal[canvas[row + x * CHROMA_SUBSAMPLING]];
        }
      }
    }
  }

  // ---- Bitstream -----------------------------------------------------------------

  #chooseLevel(): number {
    const mbs = this.#mbCount;
    const cols = this.#mbCols;
    const rows = mbs / cols;
    const frameBits = (n: number) =>
      n * (PCM_MB_BYTES * BITS_PER_BYTE + MB_OVERHEAD_BITS_MAX) +
      this.#slicesPerPicture * SLICE_OVERHEAD_BITS_MAX;
    // Worst P picture: every macroblock under an old or new overlay is coded.
    const { movingBar, clock, flashBox } = this.layout;
    const mbSpan = (from: number, size: number) =>
      Math.floor((from + size - 1) / MB_SIZE_PX) - Math.floor(from / MB_SIZE_PX) + 1;
    const barRows = mbSpan(movingBar.y, movingBar.height);
    const step = Math.ceil((this.width - movingBar.width) / this.#sweepFrames) + FONT_SCALE_STEP;
    const barCols = Math.max(
      2 * (Math.ceil(movingBar.width / MB_SIZE_PX) + 1), // wrap-around: two separate bars
      Math.ceil((movingBar.width + step) / MB_SIZE_PX) + 1,
    );
    const worstPMbs = Math.min(
      mbs,
      barRows * barCols + mbSpan(clock.x, clock.width) * mbSpan(clock.y, clock.height) +
        mbSpan(flashBox.x, flashBox.width) * mbSpan(flashBox.y, flashBox.height),
    );
    const idrBits = frameBits(mbs);
    const gopBits = idrBits + (this.gopFrames - 1) * frameBits(worstPMbs);
    const bitRate = (gopBits * this.fps) / this.gopFrames;
    for (const [idc, maxMbps, maxFs, maxDpbMbs, maxBr, maxCpb] of LEVEL_TABLE) {
      const maxDim = Math.sqrt(maxFs * MAX_FS_ASPECT_FACTOR);
      if (
        mbs <= maxFs && cols <= maxDim && rows <= maxDim && mbs * this.fps <= maxMbps &&
        mbs * MAX_NUM_REF_FRAMES <= maxDpbMbs && bitRate <= maxBr * CPB_BR_VCL_FACTOR &&
        idrBits <= maxCpb * CPB_BR_VCL_FACTOR
      ) {
        return idc;
      }
    }
    throw new RangeError(
      `H264TestPattern: ${this.width}x${this.height}@${this.fps} exceeds every H.264 level`,
    );
  }

  /** §7.3.2.1.1 seq_parameter_set_data with §E.1.1 VUI (square pixels, timing, no reordering). */
  #buildSps(): Uint8Array {
    const w = new BitWriter()
      .u(IDC_BITS, PROFILE_IDC_BASELINE)
      .u(CONSTRAINT_BYTE_BITS, CONSTRAINT_SET0_FLAG | CONSTRAINT_SET1_FLAG)
      .u(IDC_BITS, this.levelIdc)
      .ue(PARAMETER_SET_ID)
      .ue(LOG2_MAX_FRAME_NUM - LOG2_MAX_FRAME_NUM_OFFSET)
      .ue(PIC_ORDER_CNT_TYPE)
      .ue(MAX_NUM_REF_FRAMES)
      .flag(false) // gaps_in_frame_num_value_allowed_flag
      .ue(this.#mbCols - 1) // pic_width_in_mbs_minus1
      .ue(this.#mbCount / this.#mbCols - 1) // pic_height_in_map_units_minus1
      .flag(true) // frame_mbs_only_flag: progressive frames only
      .flag(true) // direct_8x8_inference_flag (no B slices here; 1 is the usual value)
      .flag(false) // frame_cropping_flag: sizes are whole macroblocks
      .flag(true) // vui_parameters_present_flag
      .flag(true) // aspect_ratio_info_present_flag
      .u(IDC_BITS, ASPECT_RATIO_IDC_SQUARE)
      .flag(false) // overscan_info_present_flag
      .flag(false) // video_signal_type_present_flag
      .flag(false) // chroma_loc_info_present_flag
      .flag(true) // timing_info_present_flag, so players see the frame rate
      .u(TIMING_FIELD_BITS, 1) // num_units_in_tick
      .u(TIMING_FIELD_BITS, TICKS_PER_FRAME * this.fps) // time_scale
      .flag(true) // fixed_frame_rate_flag
      .flag(false) // nal_hrd_parameters_present_flag
      .flag(false) // vcl_hrd_parameters_present_flag
      .flag(false) // pic_struct_present_flag
      .flag(true) // bitstream_restriction_flag: lets decoders output without delay
      .flag(true) // motion_vectors_over_pic_boundaries_flag
      .ue(0) // max_bytes_per_pic_denom: no limit
      .ue(0) // max_bits_per_mb_denom: no limit
      .ue(LOG2_MAX_MV_LENGTH)
      .ue(LOG2_MAX_MV_LENGTH)
      .ue(MAX_NUM_REORDER_FRAMES)
      .ue(MAX_DEC_FRAME_BUFFERING)
      .trailingBits();
    return rbspToNal(nalHeader(NAL_REF_IDC_HIGHEST, NAL_TYPE_SPS), w.finish());
  }

  /** §7.3.2.2 pic_parameter_set_rbsp: CAVLC, one slice group, deblocking control present. */
  #buildPps(): Uint8Array {
    const w = new BitWriter()
      .ue(PARAMETER_SET_ID) // pic_parameter_set_id
      .ue(PARAMETER_SET_ID) // seq_parameter_set_id
      .flag(false) // entropy_coding_mode_flag: CAVLC
      .flag(false) // bottom_field_pic_order_in_frame_present_flag
      .ue(0) // num_slice_groups_minus1
      .ue(MAX_NUM_REF_FRAMES - 1) // num_ref_idx_l0_default_active_minus1
      .ue(0) // num_ref_idx_l1_default_active_minus1
      .flag(false) // weighted_pred_flag
      .u(WEIGHTED_BIPRED_IDC_BITS, 0) // weighted_bipred_idc: no weighted prediction
      .se(0) // pic_init_qp_minus26 (QP is irrelevant to I_PCM and P_Skip)
      .se(0) // pic_init_qs_minus26
      .se(0) // chroma_qp_index_offset
      .flag(true) // deblocking_filter_control_present_flag, so slices can turn it off
      .flag(false) // constrained_intra_pred_flag
      .flag(false) // redundant_pic_cnt_present_flag
      .trailingBits();
    return rbspToNal(nalHeader(NAL_REF_IDC_HIGHEST, NAL_TYPE_PPS), w.finish());
  }

  /**
   * Macroblocks per slice of a picture that must be split: the most whole rows
   * that surely fit {@link MAX_SLICE_NAL_BYTES}, evened out over the picture
   * (15 rows at 7 per slice → 3 slices of 5); part rows if one row is too big.
   * A split picture averages over 76 macroblocks per slice (half of the 152 that
   * fit, at worst), so it has fewer slices than A.3.3 allows the Main profile
   * (constraint_set1_flag): MaxMBPS / (fps · SliceRate) ≥ mbCount / 60, as
   * SliceRate ≤ 60 at every level that has one (Table A-4).
   */
  static #splitSliceMbs(mbCols: number, mbCount: number): number {
    const fit = Math.floor((MAX_SLICE_NAL_BYTES - SLICE_BYTES_MAX) / MB_BYTES_MAX);
    if (fit >= mbCols) {
      const rows = mbCount / mbCols;
      const slices = Math.ceil(rows / Math.floor(fit / mbCols));
      return Math.ceil(rows / slices) * mbCols;
    }
    return Math.ceil(mbCount / Math.ceil(mbCount / fit));
  }

  /**
   * §7.3.3 slice_header. frame_num, idr_pic_id and dec_ref_pic_marking are the
   * same in every slice of a picture (§7.4.3); POC type 2 has no POC fields.
   */
  #sliceHeader(
    w: BitWriter,
    firstMb: number,
    idrPicId: number | undefined,
    frameNum: number,
  ): void {
    const idr = idrPicId !== undefined;
    w.ue(firstMb) // first_mb_in_slice
      .ue(idr ? SLICE_TYPE_I_ALL : SLICE_TYPE_P_ALL)
      .ue(PARAMETER_SET_ID)
      .u(LOG2_MAX_FRAME_NUM, frameNum);
    if (idr) {
      w.ue(idrPicId);
    } else {
      w.flag(false) // num_ref_idx_active_override_flag
        .flag(false); // ref_pic_list_modification_flag_l0
    }
    // dec_ref_pic_marking (§7.3.3.3): every picture is a reference.
    if (idr) {
      w.flag(false) // no_output_of_prior_pics_flag
        .flag(false); // long_term_reference_flag
    } else {
      w.flag(false); // adaptive_ref_pic_marking_mode_flag: sliding window
    }
    w.se(0) // slice_qp_delta
      .ue(DISABLE_DEBLOCKING_FILTER);
  }

  /**
   * Codes one picture as slice NAL units: an IDR (I slices, `coded` is every
   * macroblock) or a P picture (`coded` lists the changed macroblocks, ascending;
   * the rest are P_Skip). One slice when its size bound fits
   * {@link MAX_SLICE_NAL_BYTES}, else slices of #mbsPerSlice macroblocks.
   */
  #encodePicture(idrPicId: number | undefined, frameNum: number, coded: Int32Array): Uint8Array[] {
    const idr = idrPicId !== undefined;
    const header = idr
      ? nalHeader(NAL_REF_IDC_HIGHEST, NAL_TYPE_SLICE_IDR)
      : nalHeader(NAL_REF_IDC_REFERENCE, NAL_TYPE_SLICE_NON_IDR);
    const mbType = idr ? MB_TYPE_I_PCM_I_SLICE : MB_TYPE_I_PCM_P_SLICE;
    const oneSlice = SLICE_BYTES_MAX + coded.length * MB_BYTES_MAX <= MAX_SLICE_NAL_BYTES;
    const step = oneSlice ? this.#mbCount : this.#mbsPerSlice;
    const bytes = this.#mbBytes;
    const units: Uint8Array[] = [];
    let k = 0; // next entry of `coded`
    for (let first = 0; first < this.#mbCount; first += step) {
      const end = Math.min(first + step, this.#mbCount);
      const w = this.#writer.reset();
      this.#sliceHeader(w, first, idrPicId, frameNum);
      let next = first; // first macroblock not yet covered by a skip run or a coded block
      for (; k < coded.length && coded[k] < end; k++) {
        const mb = coded[k];
        const base = mb * PCM_MB_BYTES;
        // mb_skip_run (P slices only): P_Skip blocks copy the reference (all vectors are 0).
        if (!idr) w.ue(mb - next);
        w.ue(mbType).alignZero().bytes(bytes.subarray(base, base + PCM_MB_BYTES));
        next = mb + 1;
      }
      if (next < end) w.ue(end - next); // P slices: trailing skip run (IDR codes them all)
      w.trailingBits();
      units.push(rbspToNal(header, w.finish()));
    }
    return units;
  }
}
