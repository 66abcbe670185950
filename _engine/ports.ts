/**
 * What the stream engine needs from the platform, as interfaces the shell
 * implements: a log, a connection's writer for interleaved media, datagram
 * sockets, and the files under `--root`. The engine imports these types and
 * nothing of `_server/`; `ConnectionWriter`, `UdpPair`, `FileLibrary` and
 * `Logger` satisfy them.
 * @module
 */

import type { LookupFailure, StreamDescription } from "../_rtsp/catalogue.ts";
import type { FileMedia } from "../_rtsp/media/file_media.ts";

/** Where the engine reports what happens to streams and readers. */
export interface EngineLog {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** An RTSP connection as its TCP readers write to it (RFC 2326, 10.12 interleaved data). */
export interface InterleavedSink {
  /**
   * Queues interleaved media; false, queueing nothing, when the connection's
   * queue is full. What is queued within one task leaves in one write.
   */
  offerMedia(bytes: Uint8Array): boolean;
  /** Closes the connection (a reader too slow for too long). */
  abort(): void;
}

/** Datagram sockets as UDP readers send to a destination (RFC 2326, 12.39). */
export interface DatagramSink<Target = unknown> {
  /** The destination `address`:`port`, prepared once per reader track. */
  target(address: string, port: number): Target;
  /** Whether `bytes` more fit the queue towards `target`. */
  hasRoomFor(bytes: number, target: Target): boolean;
  sendRtp(bytes: Uint8Array, target: Target): void;
  sendRtcp(bytes: Uint8Array, target: Target): void;
}

/** A datagram from a client: its bytes, source address and port. */
export type DatagramHandler = (bytes: Uint8Array, address: string, port: number) => void;

/** The server's RTP/RTCP port pair (RFC 2326, 12.39 `server_port`). */
export interface UdpSockets<Target = unknown> extends DatagramSink<Target> {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  onRtp(handler: DatagramHandler): void;
  onRtcp(handler: DatagramHandler): void;
}

/** A file opened for one session; close it when the session ends. */
export interface OpenedFile {
  readonly media: FileMedia;
  close(): void;
}

/** The files served under `--root`. */
export interface FileSource {
  /** The real location of the file `path` names, or undefined when it names none. */
  resolve(path: string): Promise<unknown | undefined>;
  describe(path: string): Promise<StreamDescription | LookupFailure>;
  open(path: string): Promise<OpenedFile | LookupFailure>;
}
