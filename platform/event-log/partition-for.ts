const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/**
 * The partition of a message key: FNV-1a (32-bit) of the key's UTF-8 bytes, modulo the partition count.
 * Both log adapters place messages with it, so one key lands in the same partition on LMDB and on Kafka
 * (Kafka's own murmur2 partitioner is bypassed by sending an explicit partition).
 */
export function partitionFor(key: string, partitions: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    // Keys are ids, nearly always ASCII, where a character is its UTF-8 byte: hashing them in place
    // spares an allocation per message. Anything else is hashed from its encoded bytes.
    if (code >= 0x80) return hashBytes(encoder.encode(key)) % partitions;
    hash = Math.imul(hash ^ code, FNV_PRIME);
  }
  return (hash >>> 0) % partitions;
}

function hashBytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME);
  return hash >>> 0;
}
