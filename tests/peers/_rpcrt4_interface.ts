/** The head both RPC_CLIENT_INTERFACE and RPC_SERVER_INTERFACE start with, for the rpcrt4 peers. */
import { parseGuid } from "../../src/core/guid.ts";
import { NDR_TRANSFER_SYNTAX } from "../../src/ffi/headers/rpcdcep.ts";

/** Length, InterfaceId (UUID and `major.minor`) and the NDR 2.0 TransferSyntax. */
export function interfaceHead(length: number, uuid: string, major: number, minor: number) {
  return {
    Length: length,
    InterfaceId: { SyntaxGUID: parseGuid(uuid), SyntaxVersion: { MajorVersion: major, MinorVersion: minor } },
    TransferSyntax: {
      SyntaxGUID: parseGuid(NDR_TRANSFER_SYNTAX),
      SyntaxVersion: { MajorVersion: 2, MinorVersion: 0 },
    },
  };
}
