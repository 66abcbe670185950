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
  /**
   * Failed logins for one user name from one address before that (address,
   * user) is locked out; other users at that address are not. 0 = no lockout.
   */
  readonly authFailuresBeforeLockout: number;
  /** How long a lockout lasts; also how long failures are remembered after the last one. */
  readonly lockoutMs: number;
  /** PBKDF2 verifications (Basic with stored hashes) per address per second, burst twice that; 0 = no limit. */
  readonly pbkdf2PerAddressPerSecond: number;
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
  // 9 ms each at the default 10,000 iterations: at most 4.5% of a core per address.
  pbkdf2PerAddressPerSecond: 5,
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

/** Failures from an address (all user names) answered at once; later ones are slowed. */
export const SLOWDOWN_FREE_FAILURES = 3;
/** The delay of the first slowed failure; each next one doubles it. */
export const SLOWDOWN_FIRST_DELAY_MS = 100;
/** The longest delay of a failed login's answer. */
export const SLOWDOWN_MAX_DELAY_MS = 2000;
/**
 * Characters of a claimed user name kept as its key: one more than a
 * configured name may have (`MAX_NAME_LENGTH` in `_rtsp/auth/config.ts`), so
 * every real user keeps its own record and an over-long name costs little memory.
 */
export const TRACKED_NAME_CHARS = 257;

interface UserFailures {
  count: number;
  /** Milliseconds of the last failure. */
  last: number;
  lockedUntil: number;
}

interface AddressFailures {
  /** Failures of every user name, for the slow-down. */
  count: number;
  last: number;
  users: Map<string, UserFailures>;
  /** Names past {@linkcode AuthFailureTracker.MAX_USERS_PER_ADDRESS} share this record. */
  others: UserFailures;
}

function fresh(): UserFailures {
  return { count: 0, last: 0, lockedUntil: 0 };
}

/**
 * Failed logins, so that guessing passwords is slow and then stops, without
 * letting one client lock out the others behind its address (a NAT):
 * - per (address, claimed user name): after `authFailuresBeforeLockout`
 *   failures that pair is locked out for `lockoutMs`, even with the right
 *   password (otherwise guessing would go on); other users at that address,
 *   and that user elsewhere, are not. Only a success for that user from that
 *   address clears the pair: logging in as another account clears nothing.
 * - per address, across user names: from the {@linkcode SLOWDOWN_FREE_FAILURES}+1st
 *   failure each failed answer is held longer (100 ms, doubling, up to 2 s), so
 *   spraying many names from one address slows too. Successes do not reset it;
 *   `lockoutMs` without failures does.
 *
 * Memory is bounded: at most {@linkcode AuthFailureTracker.MAX_USERS_PER_ADDRESS}
 * names per address (past that, new names share one record, so spraying names
 * cannot push a guessed user's record out), and at most
 * {@linkcode AuthFailureTracker.MAX_TRACKED} names in all (the least recently
 * failing address is forgotten first).
 */
export class AuthFailureTracker {
  #limits: AbuseLimits;
  #now: () => number;
  /** Map order is insertion order: the first address failed least recently. */
  #addresses = new Map<string, AddressFailures>();
  #userRecords = 0;
  /** (Address, user) records tracked at most, over all addresses. */
  static readonly MAX_TRACKED = 10_000;
  /** User names tracked apart per address. */
  static readonly MAX_USERS_PER_ADDRESS = 64;

  /** @param limits lockout thresholds; @param now milliseconds clock */
  constructor(limits: AbuseLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** (Address, user) records held now, for tests and bounds. */
  get trackedUsers(): number {
    return this.#userRecords;
  }

  /** Whether `user` (the name the credentials claim) is locked out at `address` now. */
  lockedOut(address: string, user: string): boolean {
    const entry = this.#addresses.get(address);
    if (entry === undefined) return false;
    const record = entry.users.get(nameKey(user)) ?? entry.others;
    return record.lockedUntil > this.#now();
  }

  /**
   * Records a failed login from `address` claiming `user` (undefined: no user
   * to charge, e.g. refused before verifying; it counts for the slow-down only).
   * @returns how long to hold the answer (ms): 0 for the first failures from the address, then growing
   */
  failed(address: string, user: string | undefined): number {
    const now = this.#now();
    const window = this.#limits.lockoutMs;
    let entry = this.#addresses.get(address);
    if (entry === undefined) {
      entry = { count: 0, last: now, users: new Map(), others: fresh() };
    } else this.#addresses.delete(address);
    this.#addresses.set(address, entry);
    if (now - entry.last >= window) entry.count = 0;
    entry.count++;
    entry.last = now;
    if (user !== undefined) this.#failedUser(entry, nameKey(user), now);
    this.#bound(entry);
    const slowed = entry.count - SLOWDOWN_FREE_FAILURES;
    return slowed <= 0
      ? 0
      : Math.min(SLOWDOWN_MAX_DELAY_MS, SLOWDOWN_FIRST_DELAY_MS * 2 ** Math.min(slowed - 1, 30));
  }

  /** Good credentials for `user` from `address`: clears that pair only (not the slow-down). */
  succeeded(address: string, user: string): void {
    const entry = this.#addresses.get(address);
    if (entry?.users.delete(nameKey(user))) this.#userRecords--;
  }

  #failedUser(entry: AddressFailures, name: string, now: number): void {
    const window = this.#limits.lockoutMs;
    let record = entry.users.get(name);
    if (record === undefined) {
      if (entry.users.size >= AuthFailureTracker.MAX_USERS_PER_ADDRESS) this.#prune(entry, now);
      if (entry.users.size < AuthFailureTracker.MAX_USERS_PER_ADDRESS) {
        record = fresh();
        entry.users.set(name, record);
        this.#userRecords++;
      } else record = entry.others;
    }
    // A quiet period as long as a lockout (which also ends any lockout) starts afresh.
    if (now - record.last >= window) record.count = 0;
    record.count++;
    record.last = now;
    const limit = this.#limits.authFailuresBeforeLockout;
    if (limit > 0 && record.count >= limit) record.lockedUntil = now + window;
  }

  /** Drops the address's records that neither lock nor count any more. */
  #prune(entry: AddressFailures, now: number): void {
    for (const [name, record] of entry.users) {
      if (record.lockedUntil <= now && now - record.last >= this.#limits.lockoutMs) {
        entry.users.delete(name);
        this.#userRecords--;
      }
    }
  }

  /** Forgets the least recently failing addresses past the bounds, never `keep`. */
  #bound(keep: AddressFailures): void {
    while (
      this.#userRecords > AuthFailureTracker.MAX_TRACKED ||
      this.#addresses.size > AuthFailureTracker.MAX_TRACKED
    ) {
      const [address, oldest] = this.#addresses.entries().next().value!;
      if (oldest === keep) break;
      this.#addresses.delete(address);
      this.#userRecords -= oldest.users.size;
    }
  }
}

function nameKey(user: string): string {
  return user.length > TRACKED_NAME_CHARS ? user.slice(0, TRACKED_NAME_CHARS) : user;
}
