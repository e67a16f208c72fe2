// The socket connection and request/ack helper. `io` is the socket.io client,
// served by our own server from node_modules.

export function connect(namespace) {
  return window.io(namespace, { transports: ["websocket", "polling"], tryAllTransports: true });
}

// Emit an event and resolve with its ack; reject on timeout or an error ack.
export function request(socket, event, payload, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) reject(new Error(`no answer to ${event}`));
      else if (!ack || !ack.ok) reject(Object.assign(new Error(ack?.error?.message ?? "failed"), { ack }));
      else resolve(ack);
    });
  });
}
