/**
 * Every fuzz target, one per parser (see `targets/`). Each is a
 * `(input: Uint8Array) => void` that throws only when a property is violated;
 * any exception from the code under test is a failure as well.
 * @module
 */

import type { FuzzTarget } from "./check.ts";
import { clientTarget } from "./targets/client.ts";
import { framerTarget } from "./targets/framer.ts";
import { rangeTarget, transportTarget, urlTarget } from "./targets/headers.ts";
import { responderTarget } from "./targets/responder.ts";
import { mediaTargets } from "./targets/rtp.ts";
import { canonicalPathTarget, servedTargetTarget } from "./targets/paths.ts";
import { pictureOrderTargets } from "./targets/picture_order.ts";
import { sdpTarget } from "./targets/sdp.ts";

export { type FuzzTarget, PropertyViolation } from "./check.ts";

/** All targets, in the order they are run. */
export const TARGETS: readonly FuzzTarget[] = [
  framerTarget,
  transportTarget,
  rangeTarget,
  urlTarget,
  canonicalPathTarget,
  servedTargetTarget,
  sdpTarget,
  ...mediaTargets,
  ...pictureOrderTargets,
  responderTarget,
  clientTarget,
];

/** The target called `name`, or undefined. */
export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
