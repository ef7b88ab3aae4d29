import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

/**
 * One load-generating process. Reads its task as JSON from argv, prints one JSON result line.
 * Tasks: `throughput` (closed loop: each visitor sends the next message when the last one is
 * acknowledged), `latency` (a fixed offered rate; latency = send → the agent's receipt, on this
 * process's clock), `idle` (hold connections until stdin closes), `burst` (every visitor sends
 * its first message over REST at the same moment; see `burst()`), `churn` (a fixed offered rate
 * measured send → ack while new visitors arrive and agents end conversations; see `churn()`).
 */
interface Task {
  kind: 'throughput' | 'latency' | 'idle' | 'burst' | 'churn';
  url: string;
  mode: 'app' | 'relay';
  /** `url`: this visitor's node, when the server runs as more than one (else the task's). */
  visitors: { token: string; conversationId?: string; agent: string; url?: string }[];
  agents: { token: string; id: string }[];
  durationMs: number;
  rate?: number;
  /** churn: new visitors a second (0: the plain segment), and their channel. */
  arrivalsPerSecond?: number;
  channelId?: string;
  /** burst: the server's processes (every node), whose CPU over exactly the burst (first send
   * to last notice) is reported, with PostgreSQL's and Redis's over the same time. */
  serverPids?: number[];
}

/** CPU time (user + system) so far of each process, in milliseconds, by pid (Linux /proc):
 * `pids`, or every PostgreSQL and Redis process. */
function cpuByPid(pids?: readonly number[]): Map<number, number> {
  const times = new Map<number, number>();
  const list =
    pids ??
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  for (const pid of list) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!pids && name !== 'postgres' && name !== 'redis-server') continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    times.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
  }
  return times;
}

/** CPU used since `before` (a process started meanwhile counts whole; PostgreSQL starts one per
 * new connection). */
function cpuSince(before: Map<number, number>, pids?: readonly number[]): number {
  let total = 0;
  for (const [pid, ms] of cpuByPid(pids)) total += ms - (before.get(pid) ?? 0);
  return total;
}

const task = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Task;

function connect(auth: Record<string, string>, url = task.url): Promise<Socket> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false });
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
          .map((v) =>
            connect(task.mode === 'app' ? { token: v.token } : { role: 'visitor' }, v.url),
          ),
      )),
    );
  }
  return { agentSockets, visitorSockets };
}

const quantileOf = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

interface SystemPayload {
  message: { type: string; conversationId: string; meta?: { kind?: string } | null };
  conversation: { id: string; agent?: { id: string } | null };
}

/**
 * (f) Every visitor posts its first message over REST in the same tick. The time to "the first
 * answer" is from that visitor's send to its own socket receiving the system message that says
 * what routing decided for the new conversation: `assigned` (an agent took it) or `queued` (every
 * agent was at their cap). Not the HTTP response: the visitor waits for the notice, and routing
 * is what this measures. The relay has no routing: its figure is the same number of concurrent
 * HTTP requests, each timed to its (trivial) response.
 */
async function burst(visitorSockets: Socket[]) {
  const count = task.visitors.length;
  const sentAt: number[] = new Array<number>(count).fill(NaN);
  const answeredAt: number[] = new Array<number>(count).fill(NaN);
  const kinds: Record<string, number> = {};
  const conversationIds: (string | null)[] = new Array<string | null>(count).fill(null);
  let failed = 0;
  let extraNotices = 0;
  let answered = 0;
  let allAnswered!: () => void;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const answer = (index: number) => {
    answeredAt[index] = performance.now();
    answered += 1;
    if (answered === count) allAnswered();
  };
  if (task.mode === 'app') {
    visitorSockets.forEach((socket, index) => {
      socket.on('message.created', (p: SystemPayload) => {
        const kind = p.message.type === 'system' ? p.message.meta?.kind : undefined;
        if (kind !== 'assigned' && kind !== 'queued') return;
        // A second notice for one visitor would be a routing fault: counted, not timed.
        if (!Number.isNaN(answeredAt[index]!)) {
          extraNotices += 1;
          return;
        }
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        conversationIds[index] = p.message.conversationId;
        answer(index);
      });
    });
  }
  const cpuAtStart = process.cpuUsage();
  // On the monotonic clock a server's V8 CPU profile also uses (microseconds): `--profile` cuts
  // the profile to exactly the burst with it.
  const monotonicStart = Number(process.hrtime.bigint() / 1000n);
  const serverCpuAtStart = cpuByPid(task.serverPids ?? []);
  const servicesCpuAtStart = cpuByPid();
  await Promise.all(
    task.visitors.map(async (visitor, index) => {
      const url = visitor.url ?? task.url;
      sentAt[index] = performance.now();
      try {
        const response = await fetch(
          task.mode === 'app' ? `${url}/api/v1/visitor/messages` : `${url}/burst`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(task.mode === 'app' ? { authorization: `Bearer ${visitor.token}` } : {}),
            },
            body: JSON.stringify({
              clientMsgId: `f${process.pid}x${index}`,
              type: 'text',
              body: 'hello, is anyone there?',
            }),
          },
        );
        await response.arrayBuffer();
        if (!response.ok) failed += 1;
        else if (task.mode === 'relay') answer(index);
      } catch {
        failed += 1;
      }
    }),
  );
  // Bounded: whoever never hears back is reported as unanswered, not waited for.
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, task.durationMs))]);
  const cpu = process.cpuUsage(cpuAtStart);
  const monotonicEnd = Number(process.hrtime.bigint() / 1000n);
  const serverCpuMs = cpuSince(serverCpuAtStart, task.serverPids ?? []);
  const servicesCpuMs = cpuSince(servicesCpuAtStart);
  const times = answeredAt
    .map((at, i) => at - sentAt[i]!)
    .filter((t) => !Number.isNaN(t))
    .sort((x, y) => x - y);
  const firstSend = Math.min(...sentAt);
  const lastAnswer = Math.max(...answeredAt.filter((t) => !Number.isNaN(t)));
  return {
    visitors: count,
    answered,
    failed,
    extraNotices,
    kinds,
    conversationIds,
    spanMs: lastAnswer - firstSend,
    monotonicUs: [monotonicStart, monotonicEnd],
    perSecond: (answered / (lastAnswer - firstSend)) * 1000,
    p50: quantileOf(times, 0.5),
    p99: quantileOf(times, 0.99),
    cpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs,
    servicesCpuMs,
  };
}

/**
 * (f2) The visitors send at a fixed rate (as `latency`), each message timed send → ack. With
 * `arrivalsPerSecond`, new visitors arrive meanwhile (a session and a first message over REST:
 * each is a new conversation to route), and the agents end the oldest of those conversations at
 * the same pace once ten are open, so routing keeps working under the steady sends. With 0, the
 * same sends without churn: the plain segment to compare with.
 */
async function churn(agentSockets: Socket[], visitorSockets: Socket[]) {
  const rate = task.rate ?? 200;
  const arrivals = task.arrivalsPerSecond ?? 0;
  const start = performance.now();
  const end = start + task.durationMs;
  const samples: [number, number][] = [];
  let acked = 0;
  let failed = 0;
  let arrived = 0;
  let arrivalsFailed = 0;
  let ended = 0;
  let endsFailed = 0;
  // The arrivals' conversations, oldest first, with the socket of the agent who took each.
  const open: { conversationId: string; socket: Socket }[] = [];
  agentSockets.forEach((socket, index) => {
    const me = task.agents[index]!.id;
    socket.on('message.created', (p: SystemPayload) => {
      if (p.message.type !== 'system' || p.message.meta?.kind !== 'assigned') return;
      if (p.conversation.agent?.id !== me) return;
      open.push({ conversationId: p.conversation.id, socket });
    });
  });
  const arrive = async () => {
    try {
      const session = (await (
        await fetch(`${task.url}/api/v1/visitor/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ channelId: task.channelId }),
        })
      ).json()) as { visitorToken: string };
      const sent = await fetch(`${task.url}/api/v1/visitor/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${session.visitorToken}`,
        },
        body: JSON.stringify({ clientMsgId: `n${arrived}`, type: 'text', body: 'hello' }),
      });
      await sent.arrayBuffer();
      if (sent.ok) arrived += 1;
      else arrivalsFailed += 1;
    } catch {
      arrivalsFailed += 1;
    }
  };
  const endOldest = () => {
    const oldest = open.shift();
    if (!oldest) return;
    oldest.socket
      .timeout(10_000)
      .emitWithAck('conversation.end', { conversationId: oldest.conversationId })
      .then(
        (ack: { ok: boolean }) => (ack.ok ? (ended += 1) : (endsFailed += 1)),
        () => (endsFailed += 1),
      );
  };
  const tickMs = 10;
  let next = 0;
  let debt = 0;
  let arrivalDebt = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      debt += (rate * tickMs) / 1000;
      while (debt >= 1) {
        debt -= 1;
        const index = next++ % visitorSockets.length;
        const sentAt = performance.now();
        visitorSockets[index]!.timeout(10_000)
          .emitWithAck('message.send', payload(task.visitors[index]!, sentAt))
          .then(
            (ack: { ok: boolean }) => {
              if (!ack.ok) return (failed += 1);
              acked += 1;
              samples.push([sentAt - start, performance.now() - sentAt]);
            },
            () => (failed += 1),
          );
      }
      arrivalDebt += (arrivals * tickMs) / 1000;
      while (arrivalDebt >= 1) {
        arrivalDebt -= 1;
        void arrive();
        if (open.length >= 10) endOldest();
      }
    }, tickMs);
  });
  // Acks in flight arrive (bounded).
  const settle = performance.now() + 10_000;
  while (acked + failed < next && performance.now() < settle) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // "The last part": the last quarter of the run, when the churn has been going for a while.
  const lastFrom = task.durationMs * 0.75;
  const all = samples.map(([, t]) => t).sort((x, y) => x - y);
  const last = samples
    .filter(([at]) => at >= lastFrom)
    .map(([, t]) => t)
    .sort((x, y) => x - y);
  return {
    sent: next,
    acked,
    failed,
    arrived,
    arrivalsFailed,
    ended,
    endsFailed,
    p50: quantileOf(all, 0.5),
    p99: quantileOf(all, 0.99),
    lastP50: quantileOf(last, 0.5),
    lastP99: quantileOf(last, 0.99),
    lastCount: last.length,
  };
}

async function main() {
  const { agentSockets, visitorSockets } = await connectAll();
  if (task.kind === 'idle') {
    process.stdout.write(`${JSON.stringify({ connected: visitorSockets.length })}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    return;
  }
  if (task.kind === 'burst' || task.kind === 'churn') {
    const result =
      task.kind === 'burst'
        ? await burst(visitorSockets)
        : await churn(agentSockets, visitorSockets);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    for (const socket of [...agentSockets, ...visitorSockets]) socket.disconnect();
    process.exit(0);
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
  const monotonicStart = Number(process.hrtime.bigint() / 1000n);
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
  const monotonicUs = [monotonicStart, Number(process.hrtime.bigint() / 1000n)];
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  latencies.sort((x, y) => x - y);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  process.stdout.write(
    `${JSON.stringify({ acked, failed, received, elapsedMs, cpuMs, monotonicUs, p50: quantile(0.5), p99: quantile(0.99) })}\n`,
  );
  for (const socket of [...agentSockets, ...visitorSockets]) socket.disconnect();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
  process.exit(1);
});
