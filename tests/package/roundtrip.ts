/**
 * The two-process round trip over the installed npm package, shared by the Bun and Deno entry
 * files (which differ only in how they import it). Arguments: ROLE NAME.
 *   server: listen("pipe:NAME") through the root export; echo every message of one client.
 *   client: connectNamedPipe(NAME) through the "/pipe" export; send 50 messages, check each echo,
 *           print "round trip ok".
 */

/** The parts of the package this uses (typed here: the repository's checker cannot see it). */
export interface Package {
  listen(address: string): Promise<AsyncIterable<Ch> & { close(): Promise<void> }>;
}
export interface PipePackage {
  connectNamedPipe(name: string, opts: { timeout: number; waitForServer: boolean }): Promise<Ch>;
}
interface Ch extends AsyncIterable<Uint8Array> {
  send(m: Uint8Array): Promise<void>;
  receive(opts: { timeout: number }): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function roundTrip(root: Package, pipe: PipePackage, [role, name]: string[]): Promise<void> {
  if (role === "server") {
    const server = await root.listen(`pipe:${name}`);
    console.log("listening");
    for await (const channel of server) {
      for await (const m of channel) await channel.send(m);
      await channel.close();
      break;
    }
    await server.close();
    return;
  }
  const channel = await pipe.connectNamedPipe(name, { timeout: 20_000, waitForServer: true });
  for (let i = 0; i < 50; i++) {
    const m = new Uint8Array(1 + i * 97).map((_, j) => (i * 31 + j) & 255);
    await channel.send(m);
    const back = await channel.receive({ timeout: 20_000 });
    if (back.length !== m.length || back.some((b, j) => b !== m[j])) throw new Error(`message ${i} came back changed`);
  }
  await channel.close();
  console.log("round trip ok");
}
