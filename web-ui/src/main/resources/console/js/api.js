// The REST API and the event stream, as the console uses them: a browser session (cookie) with its CSRF token on
// every call that changes something, and errors turned into sentences (problem+json detail and field).

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** A refused or failed call: message is the problem's detail (or title), field the input it is about. */
export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || null;
    this.field = problem ? problem.field || null : null;
    this.type = problem ? problem.type || null : null;
  }
}

const listeners = new Set();
/** Called with the error whenever a call answers 401 (the session ended) or 403 password-change-required. */
export function onAuthProblem(fn) {
  listeners.add(fn);
}

/**
 * Calls the API. options: json (a body sent as JSON), body + contentType (any other body).
 * Answers the parsed JSON (or text, or null for 204); throws ApiError.
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType || 'application/octet-stream';
    body = options.body;
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, null, 'The server cannot be reached: ' + e.message);
  }
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  if (response.status !== 204) {
    const raw = await response.text();
    if (type.includes('json') && raw) {
      try { data = JSON.parse(raw); } catch { data = null; }
    } else {
      data = raw;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data && typeof data === 'object' ? data : null,
      response.statusText || (typeof data === 'string' && data.slice(0, 200)));
    if (response.status === 401 || (response.status === 403 && error.type && error.type.endsWith('password-change-required'))) {
      if (!options.quietAuth) listeners.forEach(fn => fn(error));
    }
    throw error;
  }
  if (options.withStatus) return { status: response.status, data };
  return data;
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, json, options = {}) => request('POST', path, { ...options, json });
export const put = (path, json, options = {}) => request('PUT', path, { ...options, json });
export const del = (path, options) => request('DELETE', path, options);

/** Builds a query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? '?' + text : '';
}

export const enc = encodeURIComponent;

/** Uploads a file with XHR (fetch has no upload progress); onProgress(loaded, total). */
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', e => onProgress && onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data, xhr.statusText));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, null, 'The upload was interrupted (network error)')));
    xhr.send(file);
  });
}

/**
 * The event stream, shared by every page: one EventSource for the fleet's events (all but notifications, which a
 * device page asks for on its own stream). on(type, fn) answers a function that unsubscribes.
 */
const FLEET_TYPES = ['registered', 'updated', 'deregistered', 'expired', 'sleeping', 'awake', 'provisioned', 'deleted',
  'authentication-failed', 'operation', 'firmware', 'campaign', 'rule', 'alert'];

class EventHub {
  constructor() {
    this.handlers = new Map();
    this.source = null;
    this.stateListeners = new Set();
    this.connected = false;
  }

  start() {
    this.stopped = false;
    if (this.source) return;
    this.source = new EventSource('/api/v1/events?type=' + FLEET_TYPES.join(','));
    this.source.addEventListener('open', () => this.setConnected(true));
    this.source.addEventListener('error', () => {
      const source = this.source;
      this.setConnected(!!source && source.readyState === EventSource.OPEN);
      if (source && source.readyState === EventSource.CLOSED) {
        // The server refused the stream (a 401 once the session ended, for one): ask who we are, which shows the
        // sign-in form if need be, and try again later.
        this.source = null;
        setTimeout(() => { if (!this.stopped) get('/api/v1/session').then(() => this.start()).catch(() => {}); }, 5000);
      }
    });
    for (const type of FLEET_TYPES) {
      this.source.addEventListener(type, message => {
        let event;
        try { event = JSON.parse(message.data); } catch { return; }
        for (const fn of this.handlers.get(type) || []) {
          try { fn(event); } catch (e) { console.error(e); }
        }
        for (const fn of this.handlers.get('*') || []) {
          try { fn(event); } catch (e) { console.error(e); }
        }
      });
    }
  }

  stop() {
    this.stopped = true;
    if (this.source) this.source.close();
    this.source = null;
    this.setConnected(false);
  }

  setConnected(connected) {
    if (connected !== this.connected) {
      this.connected = connected;
      this.stateListeners.forEach(fn => fn(connected));
    }
  }

  onState(fn) {
    this.stateListeners.add(fn);
  }

  on(types, fn) {
    const list = Array.isArray(types) ? types : [types];
    for (const type of list) {
      if (!this.handlers.has(type)) this.handlers.set(type, new Set());
      this.handlers.get(type).add(fn);
    }
    return () => list.forEach(type => this.handlers.get(type).delete(fn));
  }
}

export const events = new EventHub();

/** A stream of one device's notifications; close() it when done. */
export function notifications(endpoint, fn) {
  const source = new EventSource('/api/v1/events' + query({ type: 'notification', endpoint }));
  source.addEventListener('notification', message => {
    try { fn(JSON.parse(message.data)); } catch (e) { console.error(e); }
  });
  return () => source.close();
}

/** Debounces a function: one call at most every `ms`, trailing. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
}
