import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

/**
 * One load-generating process. Reads its task as JSON from argv, prints one JSON result line.
 * Tasks: `throughput` (closed loop: each visitor sends the next message when the last one is
 * acknowledged), `latency` (a fixed offered rate; latency = send → the agent's receipt, on this
 * process's clock), `idle` (hold connections until stdin closes).
 */
interface Task {
  kind: 'throughput' | 'latency' | 'idle';
  url: string;
  mode: 'app' | 'relay';
  visitors: { token: string; conversationId?: string; agent: string }[];
  agents: { token: string; id: string }[];
  durationMs: number;
  rate?: number;
}

const task = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Task;

function connect(auth: Record<string, string>): Promise<Socket> {
  const socket = io(task.url, { auth, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

let counter = 0;
function payload(visitor: Task['visitors'][number], stamp: number) {
  counter += 1;
  return task.mode === 'app'
    ? { clientMsgId: `b${process.pid}x${counter}`, type: 'text', body: `t=${stamp}` }
    : { agent: visitor.agent, body: `t=${stamp}` };
}

async function connectAll() {
  const agentSockets = await Promise.all(
    task.agents.map((a) =>
      connect(task.mode === 'app' ? { token: a.token } : { role: 'agent', agent: a.id }),
    ),
  );
  const visitorSockets: Socket[] = [];
  for (let i = 0; i < task.visitors.length; i += 200) {
    visitorSockets.push(
      ...(await Promise.all(
        task.visitors
          .slice(i, i + 200)
          .map((v) => connect(task.mode === 'app' ? { token: v.token } : { role: 'visitor' })),
      )),
    );
  }
  return { agentSockets, visitorSockets };
}

async function main() {
  const { agentSockets, visitorSockets } = await connectAll();
  if (task.kind === 'idle') {
    process.stdout.write(`${JSON.stringify({ connected: visitorSockets.length })}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    return;
  }
  let received = 0;
  const latencies: number[] = [];
  for (const socket of agentSockets) {
    socket.on('message.created', (p: { message: { body?: string; sender?: { type: string } } }) => {
      const body = p.message.body ?? '';
      if (!body.startsWith('t=')) return;
      received += 1;
      latencies.push(performance.now() - Number(body.slice(2)));
    });
  }
  // This process's own CPU from here on: the load has a cost on the same cores as the server.
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const end = start + task.durationMs;
  let acked = 0;
  let failed = 0;
  if (task.kind === 'throughput') {
    await Promise.all(
      visitorSockets.map(async (socket, index) => {
        const visitor = task.visitors[index]!;
        while (performance.now() < end) {
          const ack = (await socket
            .timeout(10_000)
            .emitWithAck('message.send', payload(visitor, performance.now()))
            .catch(() => ({ ok: false }))) as { ok: boolean };
          if (ack.ok) acked += 1;
          else failed += 1;
        }
      }),
    );
  } else {
    const rate = task.rate ?? 500;
    const tickMs = 10;
    let next = 0;
    let debt = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (performance.now() >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        debt += (rate * tickMs) / 1000;
        while (debt >= 1) {
          debt -= 1;
          const index = next++ % visitorSockets.length;
          visitorSockets[index]!.timeout(10_000)
            .emitWithAck('message.send', payload(task.visitors[index]!, performance.now()))
            .then(
              (ack: { ok: boolean }) => (ack.ok ? (acked += 1) : (failed += 1)),
              () => (failed += 1),
            );
        }
      }, tickMs);
    });
  }
  // Let deliveries in flight arrive.
  const settle = performance.now() + 3000;
  while (received < acked && performance.now() < settle) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const elapsedMs = task.durationMs;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  latencies.sort((x, y) => x - y);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  process.stdout.write(
    `${JSON.stringify({ acked, failed, received, elapsedMs, cpuMs, p50: quantile(0.5), p99: quantile(0.99) })}\n`,
  );
  for (const socket of [...agentSockets, ...visitorSockets]) socket.disconnect();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
  process.exit(1);
});
