/**
 * Multicast groups, one per stream path (RFC 2326, 12.39 `destination`,
 * `port`, `ttl`): an address of the configured range is given to a path at
 * its first multicast SETUP and given back when the last session holding the
 * group ends, so any number of paths can use multicast in turn.
 * @module
 */

import type { MulticastGroup } from "../_rtsp/media_port.ts";
import { AddressPool } from "./address_pool.ts";
import type { FilePlayback } from "./file_playback.ts";
import type { Reader } from "./reader.ts";

/** Where groups come from. */
export interface MulticastRange {
  /** First group address, e.g. 239.255.42.0, as a 32-bit number. */
  readonly firstAddress: number;
  /** How many addresses the range holds. */
  readonly addressCount: number;
  /** RTP port of track 0; track i uses this + 2i and the next odd port for RTCP. */
  readonly firstPort: number;
  readonly ttl: number;
}

/** A stream's multicast group and who has joined it. */
export interface GroupState {
  readonly address: string;
  /** `address` as a number, to give back to the pool. */
  readonly addressNumber: number;
  /**
   * Sessions that were given this group at SETUP, playing or not: the group
   * (and its address) is kept until the last of them ends, since a client
   * told the address at SETUP may PLAY (again) at any time.
   */
  readonly holders: Set<string>;
  /** Holders playing now: the group is fed while there is one. */
  readonly members: Set<string>;
  reader?: Reader;
  /** For a file: the one timeline the group plays. */
  file?: FilePlayback;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** The groups by path, and the addresses not in use. */
export class MulticastGroups {
  #range: MulticastRange;
  #groups = new Map<string, GroupState>();
  #addresses: AddressPool;

  /** @param range the addresses and ports handed out */
  constructor(range: MulticastRange) {
    this.#range = range;
    this.#addresses = new AddressPool(range.firstAddress, range.addressCount);
  }

  /** Groups held now; each holds one address of the range. */
  get size(): number {
    return this.#groups.size;
  }

  /** The group of `path`, if one is held. */
  get(path: string): GroupState | undefined {
    return this.#groups.get(path);
  }

  /**
   * Gives `sessionId` the group of `path`, making it on first use; undefined
   * when every address of the range is held (461 until one is given back).
   */
  hold(path: string, sessionId: string): GroupState | undefined {
    let group = this.#groups.get(path);
    if (!group) {
      const address = this.#addresses.allocate();
      if (address === undefined) return undefined;
      group = {
        address: formatIpv4(address),
        addressNumber: address,
        holders: new Set(),
        members: new Set(),
      };
      this.#groups.set(path, group);
    }
    group.holders.add(sessionId);
    return group;
  }

  /**
   * `sessionId` ended: when it was the last holder of its path's group, the
   * group goes and its address is given back; returns that group then.
   */
  release(path: string, sessionId: string): GroupState | undefined {
    const group = this.#groups.get(path);
    if (!group?.holders.delete(sessionId) || group.holders.size > 0) return undefined;
    this.#groups.delete(path);
    this.#addresses.release(group.addressNumber);
    return group;
  }

  /** Where track `trackIndex` of `group` is sent. */
  ports(group: GroupState, trackIndex: number): MulticastGroup {
    const rtp = this.#range.firstPort + 2 * trackIndex;
    return { address: group.address, rtp, rtcp: rtp + 1, ttl: this.#range.ttl };
  }
}
