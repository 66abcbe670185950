import assert from "node:assert/strict";
import { readAhead } from "./read_ahead.ts";

/** A 1000-byte "file" (byte i = i & 0xff) that logs every read it serves. */
function fakeFile() {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const reads: string[] = [];
  const readAt = (offset: number, length: number) => {
    reads.push(`${offset}+${length}`);
    return Promise.resolve(data.slice(offset, offset + length));
  };
  return { data, reads, readAt };
}

Deno.test("readAhead() answers short reads from windows read ahead, with the same bytes", async () => {
  const file = fakeFile();
  const read = readAhead(file.readAt, 1000, 100, 2);
  const table: [number, number, string[]][] = [
    [0, 10, ["0+100"]], // a window of 100 bytes
    [10, 30, []], // inside it
    [40, 60, []], // up to its very end
    [90, 20, ["90+100"]], // crosses the end: a new window from here
    [150, 40, []],
    [700, 5, ["700+100"]], // elsewhere (another track's samples): a second window
    [120, 5, []], // the first window is still kept
    [450, 10, ["450+100"]], // a third region evicts the least recent (700)
    [705, 5, ["705+100"]],
    [950, 10, ["950+50"]], // near the end: the window stops at the file's end
    [990, 10, []],
    [200, 300, ["200+300"]], // longer than a window: straight through
  ];
  for (const [offset, length, reads] of table) {
    file.reads.length = 0;
    const got = await read(offset, length);
    assert.deepEqual(
      [...got],
      [...file.data.subarray(offset, offset + length)],
      `${offset}+${length}`,
    );
    assert.deepEqual(file.reads, reads, `reads for ${offset}+${length}`);
  }
});

Deno.test("readAhead() passes a short read at the end through and does not keep it", async () => {
  const file = fakeFile();
  const read = readAhead(file.readAt, 1200, 100, 2); // the file is shorter than it claims
  assert.equal((await read(990, 20)).length, 10);
  assert.equal((await read(990, 20)).length, 10);
  assert.deepEqual(file.reads, ["990+100", "990+100"]);
});
