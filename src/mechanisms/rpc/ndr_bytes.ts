/**
 * `[size_is(n)] byte data[]` as a Uint8Array: the same bytes on the wire as
 * `conformantArray(u8)` (a max count, then the bytes), without a JS number per byte, for payloads
 * of any size. Pure.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { type ConformantTail, conformantType, type NdrType } from "./ndr.ts";

function checked(v: Uint8Array): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError("NDR byteArray: the value is not a Uint8Array");
  return v;
}

const tail: ConformantTail<Uint8Array> = {
  align: 1,
  maxCount: (v) => checked(v).length,
  writeRest: (w, v) => w.bytes(v),
  readRest(r, max, _cx, set) {
    if (max > r.remaining) {
      throw new ProtocolError(
        `NDR: a byte array of ${max} bytes cannot fit in the ${r.remaining} bytes left`,
      );
    }
    set(r.bytes(max));
  },
};

/** A conformant byte array (`[size_is(n)] byte x[]`, `conformantArray(u8)`'s wire form) as a Uint8Array. */
export const byteArray: NdrType<Uint8Array> = conformantType("byte[*]", 4, 4, tail);
