import http from 'node:http';
import { Server } from 'socket.io';

/**
 * The baseline: a bare Socket.IO relay on the same machine. No auth, no validation, no storage:
 * a visitor's message goes to its agent's room and is acknowledged. Every figure of the real
 * server is printed as a ratio against this one, measured in the same run.
 */
const port = Number(process.env.PORT ?? 0);
const server = http.createServer((request, response) => {
  // For the history and cold-start baselines: the cheapest HTTP answer.
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(request.url === '/healthz' ? '{"status":"ok"}' : '{"messages":[]}');
});
const io = new Server(server, { serveClient: false });
io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { role?: string; agent?: string };
  if (auth.role === 'agent') void socket.join(`agent:${auth.agent}`);
  socket.on('message.send', (payload: { agent?: string }, ack?: (a: unknown) => void) => {
    io.to(`agent:${payload.agent ?? ''}`).emit('message.created', { message: payload });
    if (typeof ack === 'function') ack({ ok: true, message: payload });
  });
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ listening: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
