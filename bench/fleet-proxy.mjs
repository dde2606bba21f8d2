#!/usr/bin/env node
// A TCP proxy that adds latency: `node bench/fleet-proxy.mjs LISTEN_PORT TARGET_PORT [RTT_MS]` forwards
// 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT and holds every chunk RTT/2 in each direction, in order
// (the kernel here has no netem). Loopback only.
import { createServer, connect } from 'node:net';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const [listen, target, rttArg] = process.argv.slice(2).map(Number);
const half = (rttArg ?? 50) / 2;

/** Delays each chunk by `half` ms, never reordering: a chunk leaves no earlier than the one before it. */
function delayed(from, to) {
  const queue = [];
  let timer = null;
  const pump = () => {
    timer = null;
    const now = Date.now();
    while (queue.length && queue[0].at <= now) to.write(queue.shift().data);
    if (queue.length) timer = setTimeout(pump, queue[0].at - now);
  };
  from.on('data', (data) => {
    queue.push({ at: Date.now() + half, data });
    if (!timer) timer = setTimeout(pump, half);
  });
  from.on('end', () => setTimeout(() => to.end(), half + 1));
}

createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  delayed(client, upstream);
  delayed(upstream, client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
}).listen(listen, '127.0.0.1');
