/**
 * The handful of libc socket calls the batched UDP sender needs, through
 * Deno's FFI (`Deno.dlopen`, which needs `--allow-ffi`). Linux on 64-bit only:
 * the struct layouts below are those of the LP64 Linux ABI.
 *
 * Why FFI at all: Deno's and Node's UDP APIs make every datagram its own async
 * operation (measured 7.4 µs of CPU each with `Deno.listenDatagram`), while
 * `sendmmsg(2)` hands the kernel a whole batch (every reader's copy of a
 * frame) in one call.
 * @module
 */

/** `AF_INET`, `SOCK_DGRAM` and friends, from the Linux headers. */
export const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SHUT_RDWR = 2;
const POLLOUT = 0x004;
/** `send` flag: fail with EAGAIN instead of blocking (the socket itself stays blocking for receives). */
export const MSG_DONTWAIT = 0x40;
/** `recvmmsg` flag: block for the first datagram only, then take what is already there. */
export const MSG_WAITFORONE = 0x10000;
/** `msg_flags` bit: the datagram was longer than the buffer. */
export const MSG_TRUNC = 0x20;

/** errno values that mean "the send buffer is full, try later". */
export const ERRNO_AGAIN = 11;
export const ERRNO_NOBUFS = 105;
export const ERRNO_INTR = 4;

/** `struct mmsghdr` (a `struct msghdr` then `unsigned int msg_len`, padded to 8). */
export const MMSGHDR_SIZE = 64;
export const MSG_NAME = 0;
export const MSG_NAMELEN = 8;
export const MSG_IOV = 16;
export const MSG_IOVLEN = 24;
export const MSG_FLAGS = 48;
export const MSG_LEN = 56;
/** `struct iovec`: base pointer, length. */
export const IOVEC_SIZE = 16;
/** `struct sockaddr_in`: family (host order), port and address (network order), padding. */
export const SOCKADDR_IN_SIZE = 16;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  // Runs on a worker thread: it blocks until a datagram comes (or shutdown).
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

/** What one `sendmmsg` call did: how many went out, and errno when none did. */
export interface SendResult {
  readonly sent: number;
  readonly errno: number;
}

/** The calls on one socket the sender and receiver make; tests stand in for the kernel here. */
export interface DatagramSyscalls {
  /** `sendmmsg(fd, headers, count, MSG_DONTWAIT)`. */
  sendmmsg(headers: Uint8Array, count: number): SendResult;
  /** `recvmmsg(fd, headers, count, MSG_WAITFORONE, NULL)`, off the main thread. */
  recvmmsg(headers: Uint8Array, count: number): Promise<number>;
  /** Resolves once the socket can take more (or after `timeoutMs`). */
  writable(timeoutMs: number): Promise<void>;
  /** The address of `bytes` (an off-heap buffer that does not move). */
  pointerOf(bytes: ArrayBuffer | Uint8Array): number;
}

let library: Library | undefined;
let users = 0;

/** Whether this runtime can use the libc sender: Linux, 64-bit, FFI allowed. */
export function libcUdpAvailable(): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return false;
  if (typeof Deno.dlopen !== "function") return false;
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function acquire(): Library {
  if (!library) {
    let lastError: unknown;
    for (const name of ["libc.so.6", "libc.so"]) {
      try {
        library = Deno.dlopen(name, SYMBOLS);
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (!library) throw lastError;
  }
  users++;
  return library;
}

function release(): void {
  if (--users === 0 && library) {
    library.close();
    library = undefined;
  }
}

/** Reads errno of the calling (main) thread, right after a synchronous call. */
function errno(lib: Library): number {
  const where = lib.symbols.__errno_location();
  return where ? new Deno.UnsafePointerView(where).getInt32(0) : 0;
}

function pointerOf(bytes: ArrayBuffer | Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

/** Parses a dotted IPv4 address into its four bytes; undefined for anything else. */
export function parseIpv4(address: string): Uint8Array | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** A bound libc UDP socket. */
export interface LibcUdpSocket {
  readonly port: number;
  readonly syscalls: DatagramSyscalls;
  /** Wakes a blocked receive (it returns at once), then closes the fd. */
  shutdown(): void;
  /** Closes the fd; call once no receive is in flight. */
  close(): void;
}

/**
 * Binds a UDP socket to `hostname:port` (IPv4 literal; port 0 lets the OS pick).
 * Returns undefined when the address is taken or not IPv4.
 */
export function bindLibcUdp(hostname: string, port: number): LibcUdpSocket | undefined {
  const ip = parseIpv4(hostname);
  if (!ip) return undefined;
  const lib = acquire();
  const s = lib.symbols;
  const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    release();
    return undefined;
  }
  const address = new Uint8Array(SOCKADDR_IN_SIZE);
  const view = new DataView(address.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  address.set(ip, 4);
  const length = new Uint32Array([SOCKADDR_IN_SIZE]);
  if (s.bind(fd, address, SOCKADDR_IN_SIZE) !== 0 || s.getsockname(fd, address, length) !== 0) {
    s.close(fd);
    release();
    return undefined;
  }
  const pollFd = new Uint8Array(8); // struct pollfd { int fd; short events, revents; }
  new DataView(pollFd.buffer).setInt32(0, fd, true);
  new DataView(pollFd.buffer).setInt16(4, POLLOUT, true);
  let open = true;
  return {
    port: view.getUint16(2, false),
    syscalls: {
      sendmmsg(headers, count) {
        const sent = s.sendmmsg(fd, headers, count, MSG_DONTWAIT);
        return { sent, errno: sent < 0 ? errno(lib) : 0 };
      },
      recvmmsg: (headers, count) => s.recvmmsg(fd, headers, count, MSG_WAITFORONE, null),
      writable: async (timeoutMs) => {
        await s.poll(pollFd, 1n, timeoutMs);
      },
      pointerOf,
    },
    shutdown() {
      // On an unconnected UDP socket this returns ENOTCONN but still wakes a
      // blocked recvmmsg, which then returns an empty datagram.
      if (open) s.shutdown(fd, SHUT_RDWR);
    },
    close() {
      if (!open) return;
      open = false;
      s.close(fd);
      release();
    },
  };
}
