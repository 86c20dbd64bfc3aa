/**
 * Asking the endpoint mapper where an interface is served (what rpcrt4 does for a binding without
 * an endpoint): `ept_map` with a tower naming the interface and the protocol, on this machine's
 * `\pipe\epmapper` or, for TCP, the host's port 135.
 * @module
 */
import { NotFoundError, type WaitOptions } from "../../core/errors.ts";
import type { RpcBinding } from "./binding.ts";
import { epmapper, EPT_S_NOT_REGISTERED, towerValue } from "./interfaces/epmapper.ts";
import { NULL_CONTEXT_HANDLE } from "./context_handles.ts";
import type { SyntaxId } from "./pdu.ts";
import { RpcFaultError } from "./rpc_errors.ts";
import { decodeTower, encodeTower } from "./tower.ts";
import { connectRpc } from "./transport.ts";

/** Options of {@link resolveEndpoint}. */
export interface ResolveOptions extends WaitOptions {
  /** The protocol sequence wanted. Default `ncacn_np`. */
  protocol?: "ncacn_np" | "ncacn_ip_tcp";
  /** The machine whose endpoint mapper is asked (TCP 135); default this one (`\pipe\epmapper`). */
  host?: string;
}

/**
 * Where the endpoint mapper says `iface` (an RpcInterface's `syntax`, or any interface UUID and
 * version) is served over `opts.protocol`: the newest registration's binding, for
 * {@link connectRpc}.
 * @throws {NotFoundError} nothing registered the interface for that protocol.
 * @throws {RpcFaultError} the endpoint mapper refused the query.
 */
export async function resolveEndpoint(iface: SyntaxId, opts: ResolveOptions = {}): Promise<RpcBinding> {
  const protocol = opts.protocol ?? "ncacn_np";
  const mapper = opts.host ? `ncacn_ip_tcp:${opts.host}[135]` : "ncacn_np:[\\pipe\\epmapper]";
  await using client = await connectRpc(mapper, {
    interfaces: [epmapper],
    timeout: opts.timeout,
    signal: opts.signal,
  });
  const query = encodeTower(
    iface,
    protocol === "ncacn_np"
      ? { protocol, host: null, pipe: "", object: null }
      : { protocol, host: "0.0.0.0", port: 0, object: null },
  );
  const r = await client.proxy(epmapper).ept_map({
    object: null,
    tower: towerValue(query),
    entryHandle: NULL_CONTEXT_HANDLE,
    maxTowers: 8,
  }, { timeout: opts.timeout, signal: opts.signal });
  const where = `${iface.uuid} v${iface.major}.${iface.minor} over ${protocol}`;
  if (r.status !== 0 && r.status !== EPT_S_NOT_REGISTERED) {
    throw new RpcFaultError(r.status, `the endpoint mapper could not look up ${where}`);
  }
  for (const t of r.towers) {
    if (t === null) continue;
    const { binding } = decodeTower(Uint8Array.from(t.octets));
    if (binding.protocol !== protocol) continue;
    // A tower names the server's own address; the caller asked a given host's mapper.
    if (binding.protocol === "ncacn_ip_tcp" && opts.host) return { ...binding, host: opts.host };
    if (binding.protocol === "ncacn_np") return { ...binding, host: opts.host ?? null };
    return binding;
  }
  throw new NotFoundError(`the endpoint mapper knows no endpoint for ${where}`);
}
