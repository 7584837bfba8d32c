// Telling "this program cannot reach that server" (the network path differs: the replica's server
// may reach the publisher where the CI runner cannot) from "that server refused us" (wrong
// credentials, a database that does not exist): by SQLSTATE and Node's network error codes, never
// by the wording of a message (servers speak other languages).

/** SQLSTATE classes and codes that mean the server answered and refused the connection. */
const REFUSED = /^(28|3D000$|42501$)/;

/** Node's codes for a server this host cannot reach (no route, no name, no answer, TLS in between). */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
]);

export type Reach = "ok" | "refused" | "unreachable";

/** What a connection error says about the server: it refused us, or we could not reach it. */
export function reachOf(e: unknown): Exclude<Reach, "ok"> {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && REFUSED.test(code)) return "refused";
  if (typeof code === "string" && UNREACHABLE.has(code)) return "unreachable";
  // A timeout of our own, a TLS failure, a server that closed the socket: not a verdict on credentials.
  return "unreachable";
}
