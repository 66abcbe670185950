/**
 * Reads the process's open file limit (soft RLIMIT_NOFILE). Deno has no API
 * for it, so: `getrlimit(2)` through FFI when `--allow-ffi` is given (as
 * `deno task start` does), else `/proc/self/limits` (Linux; Deno 2.9 lets
 * only `--allow-all` read `/proc/self`, `--allow-read` is not enough), else
 * unknown. Never prompts for a permission and never throws.
 *
 * Deno raises its soft limit to the hard limit at start, so the value read
 * here, in the process, is the one that counts.
 * @module
 */

const PROC_LIMITS = "/proc/self/limits";

/** `RLIMIT_NOFILE`: 7 on Linux, 8 on macOS and the BSDs. */
const RLIMIT_NOFILE_LINUX = 7;
const RLIMIT_NOFILE_BSD = 8;
/** `struct rlimit`: two 64-bit values, soft (cur) then hard (max). */
const RLIMIT_STRUCT_BYTES = 16;
/** `RLIM_INFINITY` on Linux and macOS: all bits set (as unsigned 64-bit), or near enough to count as none. */
const NO_LIMIT_ABOVE = 2n ** 62n;

/**
 * The soft limit from the text of `/proc/self/limits` ("Max open files  1024
 * 4096  files"); undefined when absent or "unlimited".
 */
export function parseOpenFilesLimit(text: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m || m[1] === "unlimited") return undefined;
  return Number(m[1]);
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function fromProc(): number | undefined {
  if (Deno.build.os !== "linux" || !granted({ name: "read", path: PROC_LIMITS })) return undefined;
  try {
    return parseOpenFilesLimit(Deno.readTextFileSync(PROC_LIMITS));
  } catch {
    return undefined;
  }
}

function fromGetrlimit(): number | undefined {
  const os = Deno.build.os;
  if (os !== "linux" && os !== "darwin" && os !== "freebsd") return undefined;
  if (typeof Deno.dlopen !== "function" || !granted({ name: "ffi" })) return undefined;
  const names = os === "linux" ? ["libc.so.6", "libc.so"] : ["libc.dylib", "libc.so.7"];
  for (const name of names) {
    let library;
    try {
      library = Deno.dlopen(name, {
        getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
      });
    } catch {
      continue;
    }
    try {
      const rlimit = new BigUint64Array(RLIMIT_STRUCT_BYTES / 8);
      const resource = os === "linux" ? RLIMIT_NOFILE_LINUX : RLIMIT_NOFILE_BSD;
      if (library.symbols.getrlimit(resource, rlimit) !== 0) return undefined;
      return rlimit[0] >= NO_LIMIT_ABOVE ? undefined : Number(rlimit[0]);
    } finally {
      library.close();
    }
  }
  return undefined;
}

/** The soft open file limit, or undefined when it is unlimited or cannot be read. */
export function readDescriptorLimit(): number | undefined {
  return fromGetrlimit() ?? fromProc();
}
