// Certificates for TLS tests, made with openssl: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate. Keys are 0600 and owned by the servers' user, as both the
// server (ssl_key_file) and libpq on a subscriber (sslkey) insist.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runAs } from "./postgres";
import { ownedTempDir } from "./util";

export interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function makeCertificates(): Certificates {
  const dir = ownedTempDir("pgrepl-tls-");
  fs.chmodSync(dir, 0o755);
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=pgrepl test CA",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
  );
  const sign = (name: string, subject: string, ext?: string) => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      subject,
      "-keyout",
      f(`${name}.key`),
      "-out",
      f(`${name}.csr`),
    );
    const extArgs: string[] = [];
    if (ext) {
      fs.writeFileSync(f(`${name}.ext`), ext);
      extArgs.push("-extfile", f(`${name}.ext`));
    }
    openssl(
      "x509",
      "-req",
      "-in",
      f(`${name}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      f(`${name}.crt`),
      ...extArgs,
    );
  };
  sign("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  sign("client", "/CN=pgrepl-client");
  const as = runAs();
  for (const name of ["ca.crt", "server.crt", "client.crt", "server.key", "client.key"]) {
    fs.chmodSync(f(name), name.endsWith(".key") ? 0o600 : 0o644);
    if (as.uid !== undefined) fs.chownSync(f(name), as.uid, as.gid!);
  }
  return {
    ca: f("ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
  };
}
