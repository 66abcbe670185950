/**
 * A self-signed certificate for 127.0.0.1, made with openssl, for RTSPS tests.
 */

import { run } from "./tools.ts";

/** PEM files of a certificate and its key, and the certificate's text. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate (PEM), for clients to trust (`Deno.connectTls` `caCerts`). */
  readonly cert: string;
}

/**
 * Makes a certificate valid for one day for IP 127.0.0.1 in a new temporary
 * directory. It is marked as not a CA, so rustls (`Deno.connectTls`) accepts
 * it as its own trust anchor. Needs `openssl`: register the test with
 * `toolTest(name, ["openssl"], ...)`.
 */
export async function makeTestCertificate(): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_tls_" });
  const made = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-keyout",
    `${dir}/key.pem`,
    "-out",
    `${dir}/cert.pem`,
  ]);
  if (made.code !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return {
    certFile: `${dir}/cert.pem`,
    keyFile: `${dir}/key.pem`,
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
  };
}

/** `main.ts` flags that serve RTSPS with `tls` on an OS-chosen port, on 127.0.0.1, UDP on any ports. */
export function rtspsFlags(tls: TestCertificate): string[] {
  return [
    "--hostname",
    "127.0.0.1",
    "--rtp-ports",
    "0",
    "--tls-cert",
    tls.certFile,
    "--tls-key",
    tls.keyFile,
    "--tls-port",
    "0",
  ];
}
