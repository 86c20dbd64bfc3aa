/**
 * The declarative type language of the symbol tables. One table per DLL is written once in
 * these terms; each runtime backend translates it to its own FFI (`Deno.dlopen`, `bun:ffi`).
 *
 * - `ptr`: a pointer-sized value (HANDLE, pointer, SIZE_T, LPARAM). Passed as `bigint | number`,
 *   returned as `bigint`, so `INVALID_HANDLE_VALUE` (all ones) survives the round trip.
 * - `buf`: a pointer to caller memory, passed as a TypedArray (or `null`).
 * - `u32` etc.: C integers of that width; `BOOL` is `i32`.
 *
 * A symbol is one line under its C prototype comment; one whose parameters need a note (NULL
 * meaning something, memory the kernel writes later) lists its arguments one per line instead,
 * each with its C declaration.
 * @module
 */

const numericTypes = ["void", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f64"] as const;
type NumericType = typeof numericTypes[number];

/**
 * A C type in a symbol table. Deno and Bun spell the numeric types alike; each backend says what
 * `ptr` and `buf` become.
 */
export type FfiType = NumericType | "ptr" | "buf";

/** One exported function: argument and return types, and whether it may block. */
export interface SymbolSpec {
  readonly args: readonly FfiType[];
  readonly returns: FfiType;
  /**
   * The call can wait for another process (WaitForMultipleObjects, WaitNamedPipeW). Such
   * symbols also get an async variant that runs off the JS thread. An async call's failure
   * code cannot be read with GetLastError afterwards (it ran on another thread).
   */
  readonly blocking?: boolean;
}

/** A DLL's symbol table: exported name to its prototype. */
export type SymbolTable = Readonly<Record<string, SymbolSpec>>;

/** The JS value accepted for an argument of type T. */
export type ArgValue<T extends FfiType> = T extends "ptr" | "u64" | "i64" ? bigint | number
  : T extends "buf" ? ArrayBufferView | null
  : number;

/** The JS value returned for a result of type T. */
export type ReturnValue<T extends FfiType> = T extends "ptr" | "u64" | "i64" ? bigint
  : T extends "void" ? void
  : number;

type Args<A extends readonly FfiType[]> = { [I in keyof A]: ArgValue<A[I]> };

/** A native function as JS calls it: arguments and result typed by its prototype. */
export type NativeFunction<A extends readonly FfiType[], R extends FfiType> = (
  ...args: Args<A>
) => ReturnValue<R>;

/** The synchronous functions of a loaded table. */
export type SyncSymbols<T extends SymbolTable> = {
  readonly [K in keyof T]: NativeFunction<T[K]["args"], T[K]["returns"]>;
};

type BlockingKeys<T extends SymbolTable> = {
  [K in keyof T]: T[K]["blocking"] extends true ? K : never;
}[keyof T];

/** The off-thread variants of a table's blocking functions. */
export type AsyncSymbols<T extends SymbolTable> = {
  readonly [K in BlockingKeys<T>]: (
    ...args: Args<T[K]["args"]>
  ) => Promise<ReturnValue<T[K]["returns"]>>;
};

/** A loaded DLL. */
export interface Library<T extends SymbolTable> {
  readonly name: string;
  readonly sync: SyncSymbols<T>;
  readonly async: AsyncSymbols<T>;
}
