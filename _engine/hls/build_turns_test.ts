import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { BuildTurns, type Release } from "./build_turns.ts";

Deno.test("BuildTurns: two at once, three in line, the rest refused; turns pass in order", async () => {
  const turns = new BuildTurns(2, 3);
  const order: number[] = [];
  const held: Release[] = [];
  const takes = Array.from({ length: 6 }, (_, i) =>
    turns.take().then((release) => {
      if (release) {
        order.push(i);
        held.push(release);
      }
      return release;
    }));
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(order, [0, 1]);
  assertEquals([turns.busy, turns.queued], [2, 3]);
  assertEquals(await takes[5], undefined, "the sixth is refused at once");

  held[0]();
  held[0](); // twice: still one turn given back
  await takes[2];
  assertEquals(order, [0, 1, 2]);
  assertEquals([turns.busy, turns.queued], [2, 2]);

  held[1]();
  held[2]();
  await Promise.all([takes[3], takes[4]]);
  assertEquals(order, [0, 1, 2, 3, 4]);
  assertEquals([turns.busy, turns.queued], [2, 0]);
  held[3]();
  held[4]();
  assertEquals(turns.busy, 0);
  assert(await turns.take(), "free again");
});

Deno.test("BuildTurns: a line of 0 refuses as soon as every turn is held", async () => {
  const turns = new BuildTurns(1, 0);
  const first = await turns.take();
  assert(first);
  assertEquals(await turns.take(), undefined);
  first();
  assert(await turns.take());
});
