/**
 * A 5×7 bitmap font with just the characters a timecode needs ("0"–"9" and ":"),
 * for drawing the clock of the encoder-less test pattern.
 */

/** Glyph cell width in font pixels. */
export const FONT_WIDTH = 5;
/** Glyph cell height in font pixels. */
export const FONT_HEIGHT = 7;

/** Glyphs as rows of text, "#" = lit; drawn for this project, one string per row. */
const GLYPH_ROWS: Readonly<Record<string, readonly string[]>> = {
  "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
  "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
  "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
  "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
  "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
  "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
  "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
  "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
  "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
  "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
  ":": ["     ", "  #  ", "  #  ", "     ", "  #  ", "  #  ", "     "],
};

function compile(rows: readonly string[]): Uint8Array {
  const bits = new Uint8Array(FONT_WIDTH * FONT_HEIGHT);
  rows.forEach((row, y) => {
    for (let x = 0; x < FONT_WIDTH; x++) bits[y * FONT_WIDTH + x] = row[x] === "#" ? 1 : 0;
  });
  return bits;
}

/** Compiled glyphs: FONT_WIDTH × FONT_HEIGHT cells in raster order, 1 = lit. */
const GLYPHS: ReadonlyMap<string, Uint8Array> = new Map(
  Object.entries(GLYPH_ROWS).map(([ch, rows]) => [ch, compile(rows)]),
);

/** The characters this font can draw. */
export const FONT_CHARS: readonly string[] = [...GLYPHS.keys()];

/**
 * The glyph for `ch` as FONT_WIDTH × FONT_HEIGHT cells in raster order (1 = lit).
 * Throws for a character the font lacks, so a caller's typo cannot draw blanks.
 * The array is shared: read it, do not modify it.
 */
export function glyph(ch: string): Uint8Array {
  const g = GLYPHS.get(ch);
  if (!g) throw new RangeError(`font: no glyph for ${JSON.stringify(ch)}`);
  return g;
}
