// JSON over HTTP to our own server, with the CSRF token on every write.

const token = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network", field = null, retryAfter = null } = {}) {
    super(message);
    Object.assign(this, { status, code, field, retryAfter });
  }
}

async function call(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The server could not be reached.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok || data.ok === false) {
    const error = data.error ?? {};
    throw new ApiError(error.message ?? `The server answered ${response.status}.`, {
      status: response.status,
      code: error.code ?? "http",
      field: error.field ?? null,
      retryAfter: Number(response.headers.get("Retry-After")) || null,
    });
  }
  return data;
}

export const get = (url) => call("GET", url);

// A write that is safe to repeat (the body carries its own id, or the write is
// idempotent): retried on network failure, never on an answer from the server.
export async function post(url, body, { tries = 3 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call("POST", url, body);
    } catch (error) {
      if (error.code !== "network" || attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 400 * attempt));
    }
  }
}
