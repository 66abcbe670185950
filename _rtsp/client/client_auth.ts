/**
 * The client side of RTSP authentication: answers a 401's challenges with
 * Basic (RFC 7617) or Digest (RFC 7616, with the RFC 2617 `qop=auth` form and
 * the RFC 2069 form without qop that many cameras still send), preferring
 * Digest SHA-256, then Digest MD5, then Basic (RFC 7616, 3.7: the client
 * picks the strongest it supports).
 *
 * It never loops: each challenge is answered once; a 401 to credentials made
 * from the same challenge means they were refused.
 * @module
 */

import {
  type DigestAlgorithm,
  digestHa1,
  digestResponse,
  parseDigestAlgorithm,
} from "../auth/digest.ts";
import { toBase64, toHex, utf8 } from "../auth/encoding.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import type { ClientCredentials } from "./client_url.ts";

/** Bytes of randomness in a cnonce (RFC 7616, 3.4: at least 64 bits). */
const CNONCE_BYTES = 16;
/** Digits of `nc` (RFC 7616, 3.4: 8 hex digits). */
const NC_DIGITS = 8;

/** The challenge a credential is made from, as the server wrote it. */
interface ChosenChallenge {
  readonly scheme: "basic" | "digest";
  readonly algorithm: DigestAlgorithm;
  /** Whether the challenge named its algorithm (then the answer names it too). */
  readonly algorithmNamed: boolean;
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  /** `auth` offered: the RFC 2617 form; else the RFC 2069 form. */
  readonly qopAuth: boolean;
  /** Identifies the challenge: scheme, algorithm, realm and nonce. */
  readonly key: string;
}

/** Why a 401 cannot be answered. */
export type ChallengeRefusal = "no-credentials" | "unsupported" | "refused";

/** Strength order: the first supported one is chosen. */
function rank(c: ChosenChallenge): number {
  if (c.scheme === "basic") return 2;
  return c.algorithm === "SHA-256" ? 0 : 1;
}

/** A challenge this client can answer, or undefined. */
function readChallenge(challenge: Challenge): ChosenChallenge | undefined {
  const p = challenge.params;
  const realm = p.get("realm") ?? "";
  if (challenge.scheme === "basic") {
    return {
      scheme: "basic",
      algorithm: "MD5",
      algorithmNamed: false,
      realm,
      nonce: "",
      qopAuth: false,
      key: `basic:${realm}`,
    };
  }
  if (challenge.scheme !== "digest") return undefined;
  const nonce = p.get("nonce");
  const algorithm = parseDigestAlgorithm(p.get("algorithm"));
  if (nonce === undefined || algorithm === undefined) return undefined;
  const qop = p.get("qop");
  const qops = qop === undefined ? [] : qop.split(",").map((q) => q.trim().toLowerCase());
  // Only auth-int offered: the body would have to be hashed; not supported.
  if (qop !== undefined && !qops.includes("auth")) return undefined;
  const opaque = p.get("opaque");
  return {
    scheme: "digest",
    algorithm,
    algorithmNamed: p.has("algorithm"),
    realm,
    nonce,
    ...(opaque !== undefined ? { opaque } : {}),
    qopAuth: qops.includes("auth"),
    key: `digest:${algorithm}:${realm}:${nonce}`,
  };
}

/** A quoted-string (RFC 7230, 3.2.6). */
function quote(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Makes `Authorization` values for one client, from its URL's credentials. */
export class ClientAuthenticator {
  readonly #credentials: ClientCredentials | undefined;
  readonly #randomBytes: (length: number) => Uint8Array;
  #challenge: ChosenChallenge | undefined;
  #nc = 0;

  /**
   * @param credentials from the URL; without them every 401 is final
   * @param randomBytes the source of cnonces
   */
  constructor(
    credentials: ClientCredentials | undefined,
    randomBytes: (length: number) => Uint8Array,
  ) {
    this.#credentials = credentials;
    this.#randomBytes = randomBytes;
  }

  /** The key of the challenge credentials are made from, if any (to tell a repeated 401). */
  get challengeKey(): string | undefined {
    return this.#challenge?.key;
  }

  /**
   * Reads a 401's `WWW-Authenticate` value and adopts its strongest challenge
   * that can be answered. `sentKey` is the challenge key the refused request's
   * credentials were made from (undefined when it carried none): the same
   * challenge again, not marked `stale=true`, means the credentials were refused.
   */
  answer(wwwAuthenticate: string, sentKey: string | undefined): ChallengeRefusal | undefined {
    if (this.#credentials === undefined) return "no-credentials";
    const all = parseChallenges(wwwAuthenticate);
    const usable = all.map(readChallenge).filter((c) => c !== undefined);
    if (usable.length === 0) return "unsupported";
    usable.sort((a, b) => rank(a) - rank(b));
    const chosen = usable[0];
    const stale = all.some((c) =>
      c.scheme === "digest" && c.params.get("stale")?.toLowerCase() === "true"
    );
    if (sentKey !== undefined && chosen.key === sentKey && !stale) return "refused";
    this.#challenge = chosen;
    this.#nc = 0;
    return undefined;
  }

  /** The `Authorization` value for a request, or undefined before any challenge. */
  authorization(method: string, uri: string): string | undefined {
    const challenge = this.#challenge;
    const credentials = this.#credentials;
    if (!challenge || !credentials) return undefined;
    if (challenge.scheme === "basic") {
      return `Basic ${toBase64(utf8(`${credentials.user}:${credentials.password}`))}`;
    }
    const ha1 = digestHa1(
      credentials.user,
      challenge.realm,
      credentials.password,
      challenge.algorithm,
    );
    let qop: { nc: string; cnonce: string } | undefined;
    if (challenge.qopAuth) {
      this.#nc++;
      qop = {
        nc: this.#nc.toString(16).padStart(NC_DIGITS, "0"),
        cnonce: toHex(this.#randomBytes(CNONCE_BYTES)),
      };
    }
    const response = digestResponse({
      algorithm: challenge.algorithm,
      ha1,
      nonce: challenge.nonce,
      method,
      uri,
      ...(qop ? { qop } : {}),
    });
    let value = `Digest username=${quote(credentials.user)}, realm=${quote(challenge.realm)}, ` +
      `nonce=${quote(challenge.nonce)}, uri=${quote(uri)}, response=${quote(response)}`;
    if (challenge.algorithmNamed) value += `, algorithm=${challenge.algorithm}`;
    if (challenge.opaque !== undefined) value += `, opaque=${quote(challenge.opaque)}`;
    if (qop) value += `, qop=auth, nc=${qop.nc}, cnonce=${quote(qop.cnonce)}`;
    return value;
  }
}
