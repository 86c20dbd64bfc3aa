/**
 * For the hostile peer (hostile_peer.ts): a VARIANT of any shape the model describes
 * (tests/_support/variant_model.ts), made natively, past the library's writer (which refuses what
 * is hostile), and handed to a COM object's member through IDispatch::Invoke. COM's marshaller
 * then carries it to the server as it is: odd BSTRs, unread VARTYPEs, SAFEARRAYs of any dimension
 * count and bounds (their data as long as the bounds say), references and arrays nested past any
 * limit.
 * @module
 */
import { NativeMemory } from "../../src/ffi/memory.ts";
import { oleaut32 } from "../../src/ffi/oleaut32.ts";
import { backend } from "../../src/ffi/runtime.ts";
import type { ComObject } from "../../src/mechanisms/com/mod.ts";
import { ComRuntime } from "../../src/mechanisms/com/runtime.ts";
import {
  type Node,
  VARIANT_SIZE,
  VT_ARRAY,
  VT_BOOL,
  VT_BSTR,
  VT_BYREF,
  VT_EMPTY,
  VT_I4,
  VT_NULL,
  VT_R8,
  VT_VARIANT,
} from "../_support/variant_model.ts";

const LOCALE_USER_DEFAULT = 0x400, DISPATCH_METHOD = 1;

/** Node as JSON: numbers as strings, so NaN, infinities and -0 survive. */
export function nodeToJson(node: Node): string {
  return JSON.stringify(
    node,
    (key, v) => key === "v" && typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : v,
  );
}

export function nodeFromJson(json: string): Node {
  return JSON.parse(json, (key, v) => key === "v" && typeof v === "string" ? Number(v) : v);
}

/** Native blocks the references point at; their contents are cleared with them. */
class Built implements Disposable {
  readonly blocks: NativeMemory[] = [];

  /** Writes `node` as the VARIANT at `at`. */
  put(at: bigint, node: Node): void {
    const oa = oleaut32().sync;
    const v = new DataView(backend.memory(at, VARIANT_SIZE));
    const vt = (t: number) => v.setUint16(0, t, true);
    switch (node.k) {
      case "empty":
        return vt(VT_EMPTY);
      case "null":
        return vt(VT_NULL);
      case "i4":
        vt(VT_I4);
        return v.setInt32(8, node.v, true);
      case "r8":
        vt(VT_R8);
        return v.setFloat64(8, node.v, true);
      case "bool":
        vt(VT_BOOL);
        return v.setInt16(8, node.v ? -1 : 0, true);
      case "bstr": {
        // UTF-16 units, lone surrogates too (not the string's iterator: that walks code points)
        const units = Uint16Array.from({ length: node.s.length }, (_, i) => node.s.charCodeAt(i));
        const p = oa.SysAllocStringLen(units, units.length);
        if (p === 0n) throw new Error("SysAllocStringLen failed");
        vt(VT_BSTR);
        return v.setBigUint64(8, p, true);
      }
      case "badBstr": {
        // Bytes 1, 2, 3...: known content (NULL would leave it uninitialized).
        using content = new NativeMemory(node.bytes + 1);
        content.bytes.set(Uint8Array.from({ length: node.bytes }, (_, i) => i + 1));
        const p = oa.SysAllocStringByteLen(content.address, node.bytes);
        if (p === 0n) throw new Error(`SysAllocStringByteLen(${node.bytes}) failed`);
        vt(VT_BSTR);
        return v.setBigUint64(8, p, true);
      }
      case "vt":
        return vt(node.vt);
      case "byref": {
        const target = new NativeMemory(VARIANT_SIZE);
        this.blocks.push(target);
        this.put(target.address, node.to);
        vt(VT_BYREF | VT_VARIANT);
        return v.setBigUint64(8, target.address, true);
      }
      case "array":
      case "raw": {
        const elementVt = node.k === "array" ? VT_VARIANT : node.vt;
        const bounds = new Uint32Array(2 * node.counts.length);
        node.counts.forEach((c, i) => bounds[2 * i] = c);
        const psa = oa.SafeArrayCreate(elementVt, node.counts.length, bounds);
        if (psa === 0n) throw new Error(`SafeArrayCreate(${elementVt}, ${node.counts.join(" x ")}) failed`);
        if (node.k === "array") {
          const data = new DataView(backend.memory(psa, 24)).getBigUint64(16, true);
          node.elements.forEach((e, i) => this.put(data + BigInt(VARIANT_SIZE * i), e));
        }
        vt(VT_ARRAY | elementVt);
        return v.setBigUint64(8, psa, true);
      }
    }
  }

  [Symbol.dispose](): void {
    // VariantClear frees what a VARIANT owns (a BSTR, a SAFEARRAY with its elements), not the
    // target of a reference: those blocks are cleared here, each once.
    for (const b of this.blocks) {
      oleaut32().sync.VariantClear(b.address);
      b[Symbol.dispose]();
    }
  }
}

/**
 * Calls member `name` of `target` with the one argument `node`, made natively; resolves with the
 * HRESULT Invoke returned.
 */
export async function invokeWithNode(target: ComObject, name: string, node: Node): Promise<number> {
  const rt = await ComRuntime.acquire();
  try {
    const dispid = await target.dispid(name);
    // Layout: DISPPARAMS 24 | result VARIANT 24 | EXCEPINFO 64 | argErr 8 | the argument 24 | IID_NULL 16
    using mem = new NativeMemory(24 + 24 + 64 + 8 + VARIANT_SIZE + 16);
    const base = mem.address, argAt = base + 120n;
    using built = new Built();
    try {
      built.put(argAt, node);
      const v = mem.view();
      v.setBigUint64(0, argAt, true); // rgvarg
      v.setUint32(16, 1, true); // cArgs
      const r = await rt.apartment.method(target.pointer, 6, [
        dispid,
        base + 144n,
        LOCALE_USER_DEFAULT,
        DISPATCH_METHOD,
        base,
        base + 24n,
        base + 48n,
        base + 112n,
      ]);
      return r.hr;
    } finally {
      oleaut32().sync.VariantClear(argAt);
      oleaut32().sync.VariantClear(base + 24n);
    }
  } finally {
    rt.apartment.release();
  }
}
