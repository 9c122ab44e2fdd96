import { WedSyncError } from "../errors.ts";

/**
 * How one record is stored as an LMDB value. The LMDB key already holds topic, partition and offset, so
 * the value carries the rest: a format byte (so the layout can change without a migration), the append
 * time, the message key and the payload bytes, untouched.
 *
 *   [u8 format = 1][f64 BE timestamp ms][u32 BE key length][key, UTF-8][value …]
 */
const FORMAT = 1;
const HEADER_BYTES = 1 + 8 + 4;

/** A stored record's content, without its position. */
export interface StoredRecord {
  key: string;
  value: Buffer;
  /** Append time, milliseconds since the epoch. */
  timestamp: number;
}

/** Encodes a record's key, value and append time into one LMDB value. */
export function encodeRecord(record: StoredRecord): Buffer {
  const keyBytes = Buffer.byteLength(record.key, "utf8");
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + keyBytes + record.value.length);
  buffer.writeUInt8(FORMAT, 0);
  buffer.writeDoubleBE(record.timestamp, 1);
  buffer.writeUInt32BE(keyBytes, 9);
  buffer.write(record.key, HEADER_BYTES, keyBytes, "utf8");
  record.value.copy(buffer, HEADER_BYTES + keyBytes);
  return buffer;
}

/** Decodes an LMDB value written by encodeRecord; the returned value is a view on the given buffer. */
export function decodeRecord(buffer: Buffer): StoredRecord {
  const format = buffer.readUInt8(0);
  if (format !== FORMAT) throw new WedSyncError("log_record_unreadable", `unknown event log record format ${format}`);
  const keyEnd = HEADER_BYTES + buffer.readUInt32BE(9);
  return {
    timestamp: buffer.readDoubleBE(1),
    key: buffer.toString("utf8", HEADER_BYTES, keyEnd),
    value: buffer.subarray(keyEnd),
  };
}
