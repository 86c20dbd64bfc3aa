/**
 * An RPC interface declared once in TypeScript, as its IDL would: UUID, version, and each
 * operation's number with its `[in]` and `[out]` parameters as NDR types. The same declaration
 * gives the client its typed calls ({@link RpcClient.proxy}) and the server its dispatch
 * ({@link RpcServer.register}). Pure.
 *
 * ```ts
 * const echo = defineInterface({
 *   name: "echo",
 *   uuid: "6c5e9f8a-4d1b-4c3e-9a7f-2b8d0e1f3a41",
 *   version: "1.0",
 *   operations: {
 *     Echo: { opnum: 0, in: [["text", wstringRef]], out: [["text", wstringRef], ["status", u32]] },
 *   },
 * });
 * ```
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { isGuid } from "../../core/guid.ts";
import { decode, encode, type NdrMember, type NdrType, params, type StructValue } from "./ndr.ts";
import type { SyntaxId } from "./pdu.ts";

/** One operation: its number and its parameters in IDL order (`[in, out]` ones in both lists). */
export interface OperationSpec {
  /** The operation number (its position in the IDL, from 0). */
  readonly opnum: number;
  /** The `[in]` parameters, in order, as `[name, NDR type]`. */
  readonly in: readonly NdrMember[];
  /** The `[out]` parameters, then the return value if any (name it as you like), in order. */
  readonly out: readonly NdrMember[];
}

/**
 * One parameter's declaration, `[name, type]`: for spelling out an operation map's type where a
 * published interface needs an explicit one (JSR's "no slow types").
 */
export type Param<N extends string, T> = readonly [N, NdrType<T>];

/**
 * An operation's declaration with its exact types (an {@link OperationSpec}), for spelling out
 * an operation map's type: `Operation<0, readonly [Param<"name", string>], readonly [...]>`.
 */
export interface Operation<N extends number, I extends readonly NdrMember[], O extends readonly NdrMember[]>
  extends OperationSpec {
  /** The operation number. */
  readonly opnum: N;
  /** The `[in]` parameters. */
  readonly in: I;
  /** The `[out]` parameters, then the return value. */
  readonly out: O;
}

/** The operations of an interface by name. */
export type OperationMap = { readonly [name: string]: OperationSpec };

/** What {@link defineInterface} takes. */
export interface InterfaceSpec<Ops extends OperationMap> {
  /** A name for messages. */
  readonly name: string;
  /** The interface UUID. */
  readonly uuid: string;
  /** `MAJOR.MINOR`, as the IDL's `version(...)` attribute (default "1.0" there too). */
  readonly version: string;
  /** The operations. */
  readonly operations: Ops;
}

/** The arguments of operation `O` (its `[in]` parameters by name). */
export type ArgsOf<O extends OperationSpec> = StructValue<O["in"]>;
/** The results of operation `O` (its `[out]` parameters and return value by name). */
export type ResultOf<O extends OperationSpec> = StructValue<O["out"]>;

/** An operation with its codecs. */
export interface RpcOperation {
  /** The operation's name. */
  readonly name: string;
  /** The operation number. */
  readonly opnum: number;
  /** The `[in]` parameters' stub data from arguments. */
  encodeArgs(args: unknown): Uint8Array;
  /** Arguments from the `[in]` parameters' stub data. @throws {ProtocolError} malformed. */
  decodeArgs(stub: Uint8Array): Record<string, unknown>;
  /** The `[out]` parameters' stub data from results. */
  encodeResult(result: unknown): Uint8Array;
  /** Results from the `[out]` parameters' stub data. @throws {ProtocolError} malformed. */
  decodeResult(stub: Uint8Array): Record<string, unknown>;
}

/** A declared interface: what clients bind and servers register. */
export interface RpcInterface<Ops extends OperationMap = OperationMap> {
  /** A name for messages. */
  readonly name: string;
  /** The abstract syntax: the interface UUID and version. */
  readonly syntax: SyntaxId;
  /** The declaration it was made from. */
  readonly operations: Ops;
  /** Operations by number. */
  readonly byOpnum: ReadonlyMap<number, RpcOperation>;
  /** Operations by name. */
  readonly byName: ReadonlyMap<string, RpcOperation>;
}

/**
 * An interface from its declaration (see the module example).
 * @throws {RangeError} a bad UUID or version, an opnum used twice or out of 0..65535, or a
 * parameter list with duplicate names.
 */
export function defineInterface<const Ops extends OperationMap>(spec: InterfaceSpec<Ops>): RpcInterface<Ops> {
  if (!isGuid(spec.uuid)) throw new RangeError(`RPC interface ${spec.name}: bad UUID '${spec.uuid}'`);
  const v = /^(\d{1,5})\.(\d{1,5})$/.exec(spec.version);
  if (!v || Number(v[1]) > 0xffff || Number(v[2]) > 0xffff) {
    throw new RangeError(
      `RPC interface ${spec.name}: version '${spec.version}' is not MAJOR.MINOR (0-65535 each)`,
    );
  }
  const byOpnum = new Map<number, RpcOperation>();
  const byName = new Map<string, RpcOperation>();
  for (const [name, op] of Object.entries(spec.operations)) {
    if (!Number.isInteger(op.opnum) || op.opnum < 0 || op.opnum > 0xffff) {
      throw new RangeError(`RPC interface ${spec.name}: ${name} has opnum ${op.opnum}, not 0..65535`);
    }
    if (byOpnum.has(op.opnum)) {
      throw new RangeError(`RPC interface ${spec.name}: opnum ${op.opnum} is used twice`);
    }
    const operation = makeOperation(`${spec.name}.${name}`, op);
    byOpnum.set(op.opnum, operation);
    byName.set(name, operation);
  }
  return {
    name: spec.name,
    syntax: { uuid: spec.uuid.toLowerCase(), major: Number(v[1]), minor: Number(v[2]) },
    operations: spec.operations,
    byOpnum,
    byName,
  };
}

function makeOperation(name: string, op: OperationSpec): RpcOperation {
  const ins = codec(name, "in", op.in);
  const outs = codec(name, "out", op.out);
  return {
    name,
    opnum: op.opnum,
    encodeArgs: ins.encode,
    decodeArgs: ins.decode,
    encodeResult: outs.encode,
    decodeResult: outs.decode,
  };
}

/** A parameter list's codec; an empty list is empty stub data. */
function codec(name: string, what: string, members: readonly NdrMember[]) {
  if (members.length === 0) {
    return {
      encode: () => new Uint8Array(0),
      decode: (stub: Uint8Array) => {
        if (stub.length !== 0) {
          throw new ProtocolError(`${name}: ${stub.length} bytes of ${what} data, none expected`);
        }
        return {};
      },
    };
  }
  const type = params(members) as NdrType<Record<string, unknown>>;
  return {
    encode: (value: unknown) => {
      if (value === null || typeof value !== "object") {
        throw new TypeError(
          `${name}: the ${what} parameters must be an object, got ${value === null ? "null" : typeof value}`,
        );
      }
      return encode(type, value as Record<string, unknown>);
    },
    decode: (stub: Uint8Array) => decode(type, stub),
  };
}
