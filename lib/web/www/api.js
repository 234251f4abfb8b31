// api.js: the page's one door to the server. Every call is a same-origin
// fetch with the session cookie; a body is JSON with its Content-Type (or
// raw bytes for a file upload), so the browser sends Origin on every state
// change and the API can refuse anything that did not come from this page.

export class ApiError extends Error {
	constructor(status, message, retryAfter) {
		super(message);
		this.status = status;
		this.retryAfter = retryAfter;
	}
}

const fallback = {
	0: 'The server cannot be reached; try again in a moment.',
	401: 'Please log in.',
	403: 'You are not allowed to do that.',
	404: 'Not found.',
	405: 'This site does not offer that.',
	413: 'That is too large for this site.',
	429: 'Too many attempts; wait a little and try again.',
	503: 'The service is busy; try again in a moment.',
};

let unauthorized = () => {};
export function onUnauthorized(fn) {
	unauthorized = fn;
}

// path '/jobs' + query {state: 'queued'}: '/api/jobs?state=queued'
export function url(path, query) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(query || {}))
		if (v !== undefined && v !== null && v !== '')
			q.set(k, String(v));
	const s = q.toString();
	return '/api' + path + (s ? '?' + s : '');
}

// one path segment (a job id such as 12[3], a desktop or user name)
export const seg = (s) => encodeURIComponent(String(s));

async function failure(res) {
	let msg = fallback[res.status] || 'The request failed (' + res.status + ').';
	try {
		const j = await res.json();
		if (j && typeof j.error === 'string' && j.error)
			msg = j.error;
	} catch (e) {
		// not JSON: keep the fixed message
	}
	return new ApiError(res.status, msg, res.headers.get('Retry-After'));
}

// api('POST', '/jobs', {script: ...}, {query, raw, text, login})
export async function api(method, path, body, opts) {
	const o = opts || {};
	const init = {method, credentials: 'same-origin', cache: 'no-store',
		headers: {Accept: 'application/json'}};
	if (o.raw !== undefined) {
		init.body = o.raw;
		init.headers['Content-Type'] = 'application/octet-stream';
	} else if (body !== undefined) {
		init.body = JSON.stringify(body);
		init.headers['Content-Type'] = 'application/json';
	}
	let res;
	try {
		res = await fetch(url(path, o.query), init);
	} catch (e) {
		throw new ApiError(0, fallback[0]);
	}
	if (!res.ok) {
		const err = await failure(res);
		if (res.status === 401 && !o.login)
			unauthorized(err);
		throw err;
	}
	if (res.status === 204 || res.status === 205)
		return null;
	if (o.text)
		return res.text();
	const t = await res.text();
	return t ? JSON.parse(t) : null;
}

// a list answer: the contract gives an array; an empty body is no rows
export async function list(path, query) {
	const r = await api('GET', path, undefined, {query});
	return Array.isArray(r) ? r : [];
}
