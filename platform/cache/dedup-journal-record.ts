import { WedSyncError } from "../errors.ts";

/**
 * One confirm call of the idempotency window as stored in its journal: when, and which keys.
 *
 *   [u8 format = 1][f64 BE confirm time ms][u32 BE key count]([u32 BE key length][key, UTF-8])…
 */
export interface DedupJournalRecord {
  /** Confirm time, milliseconds since the epoch. */
  time: number;
  keys: string[];
}

const FORMAT = 1;
const HEADER_BYTES = 1 + 8 + 4;

/** Encodes a journal record into one LMDB value. */
export function encodeJournalRecord({ time, keys }: DedupJournalRecord): Buffer {
  let bytes = HEADER_BYTES;
  for (const key of keys) bytes += 4 + Buffer.byteLength(key, "utf8");
  const buffer = Buffer.allocUnsafe(bytes);
  buffer.writeUInt8(FORMAT, 0);
  buffer.writeDoubleBE(time, 1);
  buffer.writeUInt32BE(keys.length, 9);
  let at = HEADER_BYTES;
  for (const key of keys) {
    const length = buffer.write(key, at + 4, "utf8");
    buffer.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return buffer;
}

/** Decodes an LMDB value written by encodeJournalRecord. */
export function decodeJournalRecord(buffer: Uint8Array): DedupJournalRecord {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const format = view.readUInt8(0);
  if (format !== FORMAT)
    throw new WedSyncError("dedup_record_unreadable", `unknown dedup journal record format ${format}`);
  const count = view.readUInt32BE(9);
  const keys = new Array<string>(count);
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const length = view.readUInt32BE(at);
    keys[i] = view.toString("utf8", at + 4, at + 4 + length);
    at += 4 + length;
  }
  return { time: view.readDoubleBE(1), keys };
}
