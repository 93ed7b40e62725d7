// The gRPC metadata that routes a call by user (as client/routing_metadata.h in C++ and
// client/python/src/hrnn/routing.py): every call about one user carries `hrnn-user-id: <id>`,
// so that a proxy (deploy/: Envoy, nginx) hashes users consistently onto replicas.

/** The metadata key (lower case, as gRPC requires). */
export const USER_ID_METADATA_KEY = 'hrnn-user-id';

/**
 * The metadata value for `userId`: the id itself when it is printable ASCII without '%';
 * otherwise every byte of its UTF-8 encoding outside 0x20..0x7E, and '%', is written as %XX
 * (upper-case hex), which keeps the value a legal ASCII header and the mapping one-to-one.
 */
export function userIdMetadataValue(userId: string): string {
  let out = '';
  for (const byte of Buffer.from(userId, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
