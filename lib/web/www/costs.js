// costs.js: my projects' spend against their limits (GET /api/budgets:
// soca-budget status, a project's "spend" and "limit") and my jobs'
// estimates and costs (GET /api/jobs: soca-stat -J's estimate and cost).

import {list} from './api.js';
import {h, table, section, failed} from './dom.js';

const usd = (v) => (typeof v === 'number' ? '$' + v.toFixed(2) : v);

function spend(b) {
	const spent = Number(b.spend);
	const limit = Number(b.limit);
	if (!(limit > 0) || Number.isNaN(spent))
		return usd(b.spend);
	const pct = Math.round((100 * spent) / limit);
	return h('span', {class: 'spend'},
		h('meter', {min: 0, max: limit, value: Math.min(spent, limit), low: limit * 0.8,
			high: limit * 0.95, optimum: 0, 'aria-label': b.project + ': ' + pct + '% of the limit'}),
		' ' + pct + '%');
}

export async function costs(main, ctx) {
	const budgets = h('div', {id: 'budget-list'});
	const jobs = h('div', {id: 'cost-jobs'});
	main.append(section('My projects', budgets), section('My jobs', jobs));
	await Promise.all([
		list('/budgets').then((rows) => budgets.replaceChildren(table([
			{label: 'Project', get: (b) => b.project},
			{label: 'Spent', get: (b) => usd(b.spend)},
			{label: 'Limit', get: (b) => usd(b.limit)},
			{label: 'Used', get: spend},
		], rows, 'Spend against limits'))).catch((e) => budgets.replaceChildren(failed(e))),
		list('/jobs', {user: ctx.me.user, history: 1}).then((rows) => jobs.replaceChildren(table([
			{label: 'Id', get: (j) => h('a', {href: '#/jobs/' + encodeURIComponent(String(j.id))}, String(j.id))},
			{label: 'Name', get: (j) => j.name},
			{label: 'Project', get: (j) => j.project},
			{label: 'State', get: (j) => j.state},
			{label: 'Estimate', get: (j) => usd(j.estimate)},
			{label: 'Cost', get: (j) => usd(j.cost)},
			{label: 'Per hour', get: (j) => usd(j.cost_per_hour)},
		], rows, 'Estimates and costs'))).catch((e) => jobs.replaceChildren(failed(e))),
	]);
}
