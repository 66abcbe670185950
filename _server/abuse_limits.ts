/**
 * Limits that keep one client (or many) from taking the server down: each a
 * named, configurable number with a clear status (503 with Retry-After, RFC
 * 2326 11.5.4 and 12.31) or a closed connection, and a log line.
 * @module
 */

/** The limits; 0 switches a count limit off. */
export interface AbuseLimits {
  /** Open connections in total; past it new ones get 503 and are closed. */
  readonly maxConnections: number;
  /** Open connections from one address; 0 = no limit. */
  readonly maxConnectionsPerAddress: number;
  /** Sessions in total; past it a SETUP that would create one gets 503. */
  readonly maxSessions: number;
  /** Sessions one client address may hold; past it a SETUP that would create one gets 503. */
  readonly maxSessionsPerAddress: number;
  /** Sessions one connection may create and hold; past it 503. */
  readonly maxSessionsPerConnection: number;
  /** A session that has not played or recorded yet ends after this long idle. */
  readonly setupTimeoutMs: number;
  /** Requests per second on one connection (burst twice that); 0 = no limit. */
  readonly maxRequestsPerSecond: number;
  /** A request head must be complete this long after its first byte, or the connection closes. */
  readonly headTimeoutMs: number;
  /** A connection without a session and without requests for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Failed authentications from one address before it is locked out. */
  readonly authFailuresBeforeLockout: number;
  /** How long a lockout lasts. */
  readonly lockoutMs: number;
  /** The Retry-After value sent with 503 (seconds). */
  readonly retryAfterSeconds: number;
}

/**
 * Defaults: generous enough for a relay with a thousand readers on one host
 * (so per-address and request-rate limits start off), strict on slow heads.
 */
export const DEFAULT_ABUSE_LIMITS: AbuseLimits = {
  maxConnections: 4096,
  maxConnectionsPerAddress: 0,
  maxSessions: 4096,
  // A relay's load test reads 1000 sessions from one host; an attacker on one
  // address still leaves three quarters of the slots to everyone else.
  maxSessionsPerAddress: 1024,
  // A player holds one session per connection, a publisher one or two.
  maxSessionsPerConnection: 16,
  // Players PLAY within milliseconds of their SETUPs; 60 s is for keep-alives.
  setupTimeoutMs: 10_000,
  maxRequestsPerSecond: 0,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  authFailuresBeforeLockout: 10,
  lockoutMs: 60_000,
  retryAfterSeconds: 5,
};

/** Counts open connections in total and per address. */
export class ConnectionGuard {
  #limits: AbuseLimits;
  #total = 0;
  #byAddress = new Map<string, number>();

  /** @param limits the limits to enforce */
  constructor(limits: AbuseLimits) {
    this.#limits = limits;
  }

  /** Connections counted now. */
  get total(): number {
    return this.#total;
  }

  /**
   * Counts a new connection, or says which limit it would break. A refused
   * connection is not counted (and must not be released).
   */
  admit(address: string): "ok" | "total" | "address" {
    const limits = this.#limits;
    if (limits.maxConnections > 0 && this.#total >= limits.maxConnections) return "total";
    const mine = this.#byAddress.get(address) ?? 0;
    if (limits.maxConnectionsPerAddress > 0 && mine >= limits.maxConnectionsPerAddress) {
      return "address";
    }
    this.#total++;
    this.#byAddress.set(address, mine + 1);
    return "ok";
  }

  /** A counted connection closed. */
  release(address: string): void {
    this.#total--;
    const mine = (this.#byAddress.get(address) ?? 1) - 1;
    if (mine <= 0) this.#byAddress.delete(address);
    else this.#byAddress.set(address, mine);
  }
}

/** A token bucket: `rate` per second, bursts of `burst`. */
export class RateLimiter {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  /**
   * @param ratePerSecond tokens added per second
   * @param burst most tokens held
   * @param now milliseconds clock
   */
  constructor(ratePerSecond: number, burst: number, now: () => number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes a token; false when none is left. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

/**
 * Failed authentications per address, with a growing delay and then a
 * temporary lockout (so guessing passwords is slow, and then stops).
 */
export class AuthFailureTracker {
  #limits: AbuseLimits;
  #now: () => number;
  #failures = new Map<string, { count: number; last: number; lockedUntil: number }>();
  /** Addresses tracked at most: the oldest is forgotten past this. */
  static readonly MAX_TRACKED = 10_000;

  /** @param limits lockout thresholds; @param now milliseconds clock */
  constructor(limits: AbuseLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Whether `address` is locked out now. */
  lockedOut(address: string): boolean {
    const entry = this.#failures.get(address);
    return entry !== undefined && entry.lockedUntil > this.#now();
  }

  /**
   * Records a failure; returns how long to wait before answering (ms): 0 for the
   * first failures, then doubling (100 ms, 200 ms, ... up to 2 s), to slow guessing.
   */
  failed(address: string): number {
    const now = this.#now();
    let entry = this.#failures.get(address);
    if (!entry || now - entry.last > this.#limits.lockoutMs) {
      entry = { count: 0, last: now, lockedUntil: 0 };
    }
    entry.count++;
    entry.last = now;
    if (
      this.#limits.authFailuresBeforeLockout > 0 &&
      entry.count >= this.#limits.authFailuresBeforeLockout
    ) {
      entry.lockedUntil = now + this.#limits.lockoutMs;
    }
    this.#failures.delete(address);
    this.#failures.set(address, entry);
    if (this.#failures.size > AuthFailureTracker.MAX_TRACKED) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    const free = 3;
    return entry.count <= free ? 0 : Math.min(2000, 100 * 2 ** (entry.count - free - 1));
  }

  /** A success clears the address's record. */
  succeeded(address: string): void {
    this.#failures.delete(address);
  }
}
