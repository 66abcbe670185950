/**
 * Fuzz targets for the path canonicaliser and the authorization target: the
 * one path every rule and lookup sees, and the one stream a request is both
 * checked against and served from.
 * @module
 */

import { METHODS } from "../../_rtsp/method.ts";
import { servedTarget, type TargetSession } from "../../_rtsp/served_target.ts";
import { parseTransport } from "../../_rtsp/transport.ts";
import { canonicalPath, hasControlCharacter, parseRequestTarget } from "../../_rtsp/url.ts";
import { check, type FuzzTarget, text } from "../check.ts";
import { bytes, transportSeeds, urlSeeds } from "../seeds.ts";

/** A canonical path: absolute, no empty, `.` or `..` segment, no trailing slash. */
function isCanonical(path: string): boolean {
  if (!path.startsWith("/")) return false;
  if (path === "/") return true;
  return path.slice(1).split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

export const canonicalPathTarget: FuzzTarget = {
  name: "canonical-path",
  seeds: () => [
    ...urlSeeds(),
    bytes("//a/./b/../../../c//"),
    bytes("/public//live/./../live/"),
    bytes("/%2e%2e/x"),
  ],
  run(input) {
    const raw = text(input);
    const path = canonicalPath(raw);
    check(isCanonical(path), `canonicalPath(${JSON.stringify(raw)}) = ${JSON.stringify(path)}`);
    check(canonicalPath(path) === path, `not idempotent on ${JSON.stringify(raw)}`);
    // Every segment it keeps was a segment of the input.
    const kept = new Set(raw.split("/"));
    check(
      path === "/" || path.slice(1).split("/").every((s) => kept.has(s)),
      `invented a segment from ${JSON.stringify(raw)}`,
    );
    const target = parseRequestTarget(raw);
    if (target && target.path !== "*") {
      check(isCanonical(target.path), `request path ${JSON.stringify(target.path)}`);
      check(
        !hasControlCharacter(target.path),
        `control character in ${JSON.stringify(target.path)}`,
      );
    }
  },
};

const SESSION_METHODS = new Set([
  "PLAY",
  "PAUSE",
  "RECORD",
  "TEARDOWN",
  "GET_PARAMETER",
  "SET_PARAMETER",
]);

/**
 * Input: lines `method`, `uri`, `transport`, `session path` (empty: none),
 * `session mode`, `announced path` (empty: none).
 */
export const servedTargetTarget: FuzzTarget = {
  name: "served-target",
  seeds: () => {
    const transports = transportSeeds().map(text);
    const uris = urlSeeds().map(text);
    return METHODS.flatMap((method, i) =>
      [0, 1, 2].map((k) =>
        bytes(
          [
            method,
            uris[(i * 3 + k) % uris.length],
            transports[(i * 5 + k) % transports.length],
            k === 0 ? "" : "/cam/1",
            k === 1 ? "record" : "play",
            k === 2 ? "/cam/1" : "",
          ].join("\n"),
        )
      )
    );
  },
  run(input) {
    const [method = "", uri = "", transportText = "", sessionPath = "", mode = "", announced = ""] =
      text(input).split("\n");
    const target = parseRequestTarget(uri.trim());
    if (target === undefined || target.path === "*") return;
    const parsed = parseTransport(transportText);
    const transports = "error" in parsed ? undefined : parsed;
    const session: TargetSession | undefined = sessionPath === ""
      ? undefined
      : { path: canonicalPath(sessionPath), mode: mode === "record" ? "record" : "play" };
    const announcedPath = announced === "" ? undefined : canonicalPath(announced);
    const request = {
      method,
      path: target.path,
      transports,
      session,
      announcedPath: () => announcedPath,
    };
    const served = servedTarget(request);
    const again = servedTarget(request);
    check(JSON.stringify(served) === JSON.stringify(again), "not deterministic");
    check(isCanonical(served.path), `served path ${JSON.stringify(served.path)} is not canonical`);
    if (served.control !== undefined) {
      check(method === "SETUP" && served.action === "read", "a control outside a reading SETUP");
      check(
        `${served.path === "/" ? "" : served.path}/${served.control}` === target.path,
        `${JSON.stringify(served)} is not the URL ${JSON.stringify(target.path)}`,
      );
    }
    if (session && SESSION_METHODS.has(method)) {
      check(served.path === session.path, "a session method served another path");
    }
    const publishes = method === "ANNOUNCE" || (method === "RECORD" && !session) ||
      (session !== undefined && session.mode === "record" &&
        (SESSION_METHODS.has(method) || method === "SETUP")) ||
      (method === "SETUP" && !session && (transports ?? []).some((t) => t.mode === "record"));
    check(
      (served.action === "publish") === publishes,
      `${method} ${JSON.stringify(served)} with session ${JSON.stringify(session)}`,
    );
    // Outside sessions and announcements, the path served is the URL's or its parent.
    if (!session && served.action === "read") {
      check(
        served.path === target.path || served.control !== undefined,
        `reads ${served.path} for ${target.path}`,
      );
    }
  },
};
