// The one client of our API: bearer tokens (an account's access + refresh, or a guest's token,
// all kept in localStorage) and problem+json errors turned into sentences.

const KEYS = { access: "boxoffice.access", refresh: "boxoffice.refresh", guest: "boxoffice.guest", user: "boxoffice.user" };
const FALLBACK = "The server could not answer just now. Please try again in a moment.";

export class ApiError extends Error {
  constructor(problem, status) {
    super(sentence(problem));
    this.problem = problem;
    this.status = status;
    this.type = (problem.type || "").split("/").pop();
  }
}

function sentence(problem) {
  const detail = problem.detail || problem.title || FALLBACK;
  const first = Array.isArray(problem.errors) ? problem.errors[0] : null;
  if (!first) return detail;
  const field = (first.loc || []).filter((part) => part !== "body").join(" ");
  return `${detail} ${field ? `${field}: ` : ""}${first.msg}.`.replace("..", ".");
}

const store = window.localStorage;

export const session = {
  user() {
    try { return JSON.parse(store.getItem(KEYS.user) || "null"); } catch { return null; }
  },
  isSignedIn() { return Boolean(store.getItem(KEYS.refresh)); },
  hasGuest() { return Boolean(store.getItem(KEYS.guest)); },
  guestToken() { return store.getItem(KEYS.guest); },
  signedIn(tokens) {
    store.setItem(KEYS.access, tokens.access_token);
    store.setItem(KEYS.refresh, tokens.refresh_token);
    store.setItem(KEYS.user, JSON.stringify(tokens.user));
    store.removeItem(KEYS.guest); // linked to the account, the guest token is spent
  },
  signOut() { Object.values(KEYS).forEach((key) => store.removeItem(key)); },
  token() { return store.getItem(KEYS.access) || store.getItem(KEYS.guest); },
};

async function send(method, path, body, token, headers = {}) {
  const all = { Accept: "application/json", ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (token) all.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError({ detail: "The server cannot be reached. Check your connection and try again." }, 0);
  }
}

async function refreshed() {
  const refresh = store.getItem(KEYS.refresh);
  if (!refresh) return false;
  const response = await send("POST", "/api/v1/auth/refresh", { refresh_token: refresh });
  if (!response.ok) {
    session.signOut();
    return false;
  }
  session.signedIn(await response.json());
  return true;
}

async function guestToken() {
  const response = await send("POST", "/api/v1/auth/guest");
  if (!response.ok) throw await errorOf(response);
  const tokens = await response.json();
  store.setItem(KEYS.guest, tokens.access_token);
  return tokens.access_token;
}

async function errorOf(response) {
  let problem = {};
  try { problem = await response.json(); } catch { /* not JSON: the fallback sentence */ }
  if (response.status === 401 && !problem.detail) problem.detail = "Please sign in again.";
  return new ApiError(problem, response.status);
}

// auth: "none" (public), "any" (whatever token there is), "customer" (a guest is made when
// nobody is signed in). Answers the response, once it is a success.
async function authorised(method, path, { body, auth = "any", headers } = {}) {
  let token = auth === "none" ? null : session.token();
  if (!token && auth === "customer") token = await guestToken();
  let response = await send(method, path, body, token, headers);
  if (response.status === 401 && token && token === store.getItem(KEYS.access) && (await refreshed())) {
    response = await send(method, path, body, session.token(), headers);
  } else if (response.status === 401 && token && token === store.getItem(KEYS.guest)) {
    store.removeItem(KEYS.guest); // expired, or spent by linking to an account
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

// The parsed JSON, or null for 204/304.
export async function api(method, path, options = {}) {
  const response = await authorised(method, path, options);
  if (response.status === 204) return null;
  return response.json();
}

// A file of ours that needs the visitor's token (a link cannot send it), saved as `filename`.
export async function download(path, filename, accept) {
  const response = await authorised("GET", path, { headers: { Accept: accept } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const get = (path, options) => api("GET", path, options);

export const post = (path, body, options = {}) => api("POST", path, { ...options, body });

export const put = (path, body, options = {}) => api("PUT", path, { ...options, body });

export const patch = (path, body, options = {}) => api("PATCH", path, { ...options, body });

export const remove = (path, body, options = {}) => api("DELETE", path, { ...options, body });

// Raw access for the seat map's conditional GET (ETag / 304).
export async function conditional(path, etag) {
  const response = await send("GET", path, undefined, null, etag ? { "If-None-Match": etag } : {});
  if (response.status === 304) return { changed: false, etag };
  if (!response.ok) throw await errorOf(response);
  return { changed: true, etag: response.headers.get("ETag"), body: await response.json() };
}

// Sign out on this device: the server ends the session (its refresh token stops working at
// once), then the tokens are forgotten here, whether the server could be told or not.
export async function signOut() {
  const refresh = store.getItem(KEYS.refresh);
  if (refresh) {
    try {
      await send("POST", "/api/v1/auth/logout", { refresh_token: refresh });
    } catch {
      // offline: the session runs out by itself
    }
  }
  session.signOut();
}

export async function signIn(kind, fields) {
  const guest = session.guestToken();
  const path = `/api/v1/auth/${kind}`;
  let tokens;
  try {
    tokens = await api("POST", path, { body: guest ? { ...fields, guest_token: guest } : fields, auth: "none" });
  } catch (error) {
    // A guest token that ran out cannot be linked; sign in without it rather than not at all.
    if (!guest || error.status !== 422 || !JSON.stringify(error.problem).includes("guest_token")) throw error;
    store.removeItem(KEYS.guest);
    tokens = await api("POST", path, { body: fields, auth: "none" });
  }
  session.signedIn(tokens);
  return tokens.user;
}
