/**
 * Prints a user entry for the `--config` file with hashes instead of a plain
 * password: Digest HA1 for MD5 and SHA-256 (tied to the realm), and a salted
 * PBKDF2 hash for Basic.
 *
 *     deno task hash-password NAME PASSWORD [REALM]
 *
 * @module
 */

import { DEFAULT_REALM } from "../_rtsp/auth/config.ts";
import { hashPasswordForConfig } from "../_rtsp/auth/credentials.ts";
import { digestHa1 } from "../_rtsp/auth/digest.ts";

/** Salt bytes for the Basic hash. */
const SALT_BYTES = 16;

if (import.meta.main) {
  const [name, password, realm = DEFAULT_REALM] = Deno.args;
  if (!name || password === undefined) {
    console.error("usage: deno task hash-password NAME PASSWORD [REALM]");
    Deno.exit(64);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  console.log(JSON.stringify(
    {
      name,
      ha1: {
        md5: digestHa1(name, realm, password, "MD5"),
        sha256: digestHa1(name, realm, password, "SHA-256"),
      },
      basic: hashPasswordForConfig(password, salt),
    },
    null,
    2,
  ));
}
