// Loaded into the provider host by the copy-latency bench (NODE_OPTIONS=--require): the program's
// connections to the ports in BENCH_LATENCY_PORTS go through a proxy in this process that holds
// each chunk, each way, for half of BENCH_LATENCY_MS — a runner that far from both databases. The
// replica server's own connection to the primary (its subscription) is not this process's, so it
// stays as fast as servers next to each other are.
"use strict";
const net = require("node:net");

const rtt = Number(process.env.BENCH_LATENCY_MS ?? 0);
const ports = (process.env.BENCH_LATENCY_PORTS ?? "").split(",").filter(Boolean).map(Number);

/** Writes what `from` sends into `to` `delay` ms later, in order; the end likewise. */
function delayed(from, to, delay) {
  const queue = [];
  let timer;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0].at - now);
  };
  const push = (chunk) => {
    queue.push({ at: Date.now() + delay, chunk });
    if (!timer) timer = setTimeout(pump, delay);
  };
  from.on("data", push);
  from.on("end", () => push(null));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delay + 5));
}

if (rtt > 0 && ports.length > 0) {
  const connect = net.Socket.prototype.connect;
  /** The proxy's port for each real port, once it listens (the host serves its first call later). */
  const via = new Map();
  for (const port of ports) {
    const server = net.createServer((client) => {
      // Around the redirection below.
      const upstream = new net.Socket();
      connect.call(upstream, { host: "127.0.0.1", port });
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      delayed(client, upstream, rtt / 2);
      delayed(upstream, client, rtt / 2);
    });
    server.listen(0, "127.0.0.1", () => via.set(port, server.address().port));
    server.unref();
  }
  const far = (o) =>
    o !== null && typeof o === "object" && via.has(Number(o.port)) && (o.host ?? "127.0.0.1") === "127.0.0.1";
  net.Socket.prototype.connect = function (...args) {
    const first = args[0];
    let redirected = false;
    // net.connect() hands over its arguments normalized, as an array marked by a symbol (kept).
    if (Array.isArray(first) && far(first[0])) {
      first[0] = { ...first[0], port: via.get(Number(first[0].port)) };
      redirected = true;
    } else if (!Array.isArray(first) && far(first)) {
      args[0] = { ...first, port: via.get(Number(first.port)) };
      redirected = true;
    } else if (
      via.has(Number(first)) &&
      (args[1] === undefined || args[1] === "127.0.0.1" || typeof args[1] === "function")
    ) {
      args[0] = via.get(Number(first));
      redirected = true;
    }
    if (redirected) {
      // The TCP handshake with a server that far takes a round trip too.
      const emit = this.emit;
      this.emit = function (event, ...rest) {
        if (event !== "connect" && event !== "ready") return emit.call(this, event, ...rest);
        setTimeout(() => emit.call(this, event, ...rest), rtt);
        return true;
      };
    }
    return connect.apply(this, args);
  };
}
