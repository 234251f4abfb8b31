// dom.js: the only way the page makes DOM. Everything that came from the
// API goes in as text (text nodes, textContent, attributes set with
// setAttribute on names chosen here), never as HTML; hrefs are built here
// from fixed paths, or checked for https: when the API gives a URL.

let seq = 0;

// h('tag', {attr: value, onclick: fn}, child...): an element; children are
// nodes or text, arrays are flattened, null/false/undefined are skipped
export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'value' || k === 'checked' || k === 'selected')
			el[k] = v;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false)
			continue;
		el.append(kid instanceof Node ? kid : String(kid));
	}
	return el;
}

// field('Label', input, 'hint'): a labelled control (label for=id)
export function field(label, input, hint) {
	if (!input.id)
		input.id = 'f' + (++seq);
	let help = null;
	if (hint) {
		help = h('small', {id: input.id + '-hint'}, hint);
		input.setAttribute('aria-describedby', help.id);
	}
	return h('div', {class: 'field'}, h('label', {for: input.id}, label), input, help);
}

export function input(name, attrs) {
	return h('input', Object.assign({name, type: 'text'}, attrs || {}));
}

export function button(label, onclick, attrs) {
	return h('button', Object.assign({type: 'button', onclick}, attrs || {}), label);
}

export function select(name, options, value) {
	return h('select', {name}, options.map((o) => {
		const [v, l] = Array.isArray(o) ? o : [o, o];
		return h('option', {value: v, selected: v === value}, l);
	}));
}

// status line (aria-live): say('Job 12 submitted') or say(err, 'error')
export function say(msg, kind) {
	const s = document.getElementById('status');
	s.className = 'status' + (kind ? ' ' + kind : '');
	s.textContent = msg instanceof Error ? msg.message : String(msg);
}

// a value as text: objects as JSON, null as a dash
export function text(v) {
	if (v === null || v === undefined || v === '')
		return '\u2013';
	if (typeof v === 'object')
		return Array.isArray(v) && v.every((x) => typeof x !== 'object') ?
			v.join(', ') : JSON.stringify(v);
	return String(v);
}

export function when(epoch) {
	if (typeof epoch !== 'number' || !epoch)
		return text(epoch);
	return new Date(epoch * 1000).toLocaleString();
}

// table(cols, rows, caption): cols are {label, get(row) -> text or node};
// each cell carries its column's label for the one-column layout
export function table(cols, rows, caption) {
	if (!rows.length)
		return h('p', {class: 'empty'}, 'None.');
	return h('table', {},
		caption ? h('caption', {}, caption) : null,
		h('thead', {}, h('tr', {}, cols.map((c) => h('th', {scope: 'col'}, c.label)))),
		h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => {
			const v = c.get(r);
			return h('td', {'data-label': c.label},
				v instanceof Node ? v : text(v));
		})))));
}

// the columns of a list of objects whose shape the page does not know
export function autoCols(rows, first) {
	const keys = [...first];
	for (const r of rows)
		for (const k of Object.keys(r))
			if (!keys.includes(k))
				keys.push(k);
	return keys.filter((k) => rows.some((r) => k in r))
		.map((k) => ({label: k, get: (r) => r[k]}));
}

// a section with a heading and a body filled later
export function section(title, ...kids) {
	return h('section', {}, h('h2', {}, title), ...kids);
}

// a box that shows the API's error politely instead of its content
export function failed(err) {
	return h('p', {class: 'error'}, err.status === 404 || err.status === 405 ?
		'Not available on this site yet: ' + err.message : err.message);
}

// a button that asks again before doing something that cannot be undone;
// WHAT names the object for screen readers ("Delete notes.txt")
export function confirmButton(label, action, what) {
	const name = (armed) => (armed ? 'Confirm: ' + label.toLowerCase() : label);
	const b = button(label, () => {
		const armed = !b.dataset.armed;
		if (armed)
			b.dataset.armed = '1';
		else
			delete b.dataset.armed;
		b.textContent = name(armed);
		if (what)
			b.setAttribute('aria-label', name(armed) + ' ' + what);
		if (!armed)
			action();
	}, {class: 'danger', 'aria-label': what ? label + ' ' + what : null});
	b.addEventListener('blur', () => {
		delete b.dataset.armed;
		b.textContent = label;
		if (what)
			b.setAttribute('aria-label', label + ' ' + what);
	});
	return b;
}
