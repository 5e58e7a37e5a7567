// DOM builders of the dashboard's panels. Text goes in through textContent only: endpoint names
// and failure details come from devices and are never parsed as HTML.
import { CATEGORIES, categoryOf, countByCategory } from './states.js';

/** Cohort index of devices skipped at planning (functions/workflow/planCampaign.ts). */
export const SKIPPED_COHORT = 9999;
/** Rows the device table shows at most; the search narrows the rest down. */
export const MAX_DEVICE_ROWS = 300;

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key === 'className') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  element.append(...children.flat().filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return element;
}

const time = (at) => (at === undefined ? '' : new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
const dateTime = (at) => (at === undefined ? '' : new Date(at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }));
export const ago = (at, now = Date.now()) => {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
};

export const statusBadge = (status) => el('span', { className: `badge ${status.toLowerCase()}` }, status.replaceAll('_', ' ').toLowerCase());

export function renderCampaignList(container, campaigns, selectedId) {
  if (campaigns.length === 0) {
    container.replaceChildren(el('li', { className: 'muted' }, 'No campaign yet. Create one with: fota campaigns create'));
    return;
  }
  container.replaceChildren(
    ...campaigns.map((c) =>
      el(
        'li',
        {},
        el(
          'a',
          { href: `#campaign=${encodeURIComponent(c.campaignId)}`, className: c.campaignId === selectedId ? 'campaign-link selected' : 'campaign-link', dataset: { campaignId: c.campaignId } },
          el('span', { className: 'campaign-name' }, c.name),
          statusBadge(c.status),
          el('span', { className: 'campaign-sub' }, `v${c.targetVersion} · ${dateTime(c.createdAt)}`),
        ),
      ),
    ),
  );
}

export function renderHeader(nodes, view) {
  nodes.name.textContent = view.name;
  nodes.status.replaceChildren(statusBadge(view.status));
  const cohort = view.cohortCount === undefined ? 'planning' : `cohort ${Math.min((view.currentCohort ?? 0) + 1, view.cohortCount)} of ${view.cohortCount}`;
  // The operator's last word, as applied (the status changes when an action is accepted).
  const last = view.audit?.at(-1);
  const lastAction = last && `${last.action} by ${last.actor} ${ago(last.at)}`;
  const winding = view.status === 'CANCELLING' && 'devices already updating finish, then CANCELLED';
  const parts = [`version ${view.targetVersion}`, `image ${view.imageId}`, cohort, view.phase && `phase ${view.phase}`, view.startedAt && `started ${dateTime(view.startedAt)}`, view.finishedAt && `finished ${dateTime(view.finishedAt)}`, lastAction, winding];
  nodes.meta.textContent = parts.filter(Boolean).join(' · ');
  const problem = view.abortReason ? `Aborted: ${view.abortReason}` : view.failureCause ? `Failed: ${view.failureCause}` : '';
  nodes.abort.textContent = problem;
  nodes.abort.hidden = problem === '';
}

export function renderSummary(container, progress) {
  const counts = countByCategory(progress.byStatus);
  // Finished means updated or failed: a cancelled device is not done (it stays in the share's base), a skipped one is left out.
  const done = progress.succeeded + progress.failed;
  const base = progress.total - (progress.skipped ?? 0);
  const share = base <= 0 ? 0 : Math.round((done * 100) / base);
  const tile = (metric, label, value, note) => el('div', { className: `tile ${metric}`, dataset: { metric } }, el('span', { className: 'tile-value' }, String(value)), el('span', { className: 'tile-label' }, label), note && el('span', { className: 'tile-note' }, note));
  container.replaceChildren(
    tile('total', 'Devices', progress.total),
    tile('finished', 'Finished', done, `${share}%`),
    tile('succeeded', 'Succeeded', progress.succeeded),
    tile('failed', 'Failed', progress.failed),
    tile('active', 'In progress', counts.active),
    tile('pending', 'Pending', counts.pending),
    tile('skipped', 'Skipped', progress.skipped ?? 0),
    tile('cancelled', 'Cancelled', progress.cancelled ?? 0),
  );
}

/** A horizontal bar split by category, widths in percent of `total`. */
function stackedBar(byStatus, total) {
  const counts = countByCategory(byStatus);
  const bar = el('div', { className: 'bar', role: 'img', 'aria-label': CATEGORIES.map((c) => `${c.label} ${counts[c.id]}`).join(', ') });
  for (const category of CATEGORIES) {
    if (counts[category.id] === 0 || total === 0) continue;
    const segment = el('span', { className: `segment ${category.id}`, title: `${category.label}: ${counts[category.id]}` });
    segment.style.width = `${(counts[category.id] * 100) / total}%`;
    bar.append(segment);
  }
  return bar;
}

export function renderCohorts(container, view) {
  const cohorts = view.cohortProgress ?? [];
  if (cohorts.length === 0) {
    container.replaceChildren(el('p', { className: 'muted' }, 'Not planned yet.'));
    return;
  }
  container.replaceChildren(
    ...cohorts.map((c) => {
      const name = c.cohort === SKIPPED_COHORT ? 'Skipped at planning' : c.cohort === 0 && cohorts.filter((x) => x.cohort !== SKIPPED_COHORT).length > 1 ? 'Cohort 0 (canary)' : `Cohort ${c.cohort}`;
      const current = c.cohort === (view.currentCohort ?? 0) && !['SUCCEEDED', 'FAILED', 'ABORTED', 'CANCELLED'].includes(view.status);
      return el(
        'div',
        { className: current ? 'cohort current' : 'cohort', dataset: { cohort: String(c.cohort) } },
        el('div', { className: 'cohort-head' }, el('span', { className: 'cohort-name' }, name), el('span', { className: 'cohort-figures' }, c.cohort === SKIPPED_COHORT ? `${c.total} skipped` : `${c.succeeded + c.failed}/${c.total - (c.skipped ?? 0)} done · ${c.succeeded} ok · ${c.failed} failed${c.cancelled ? ` · ${c.cancelled} cancelled` : ''}`)),
        stackedBar(c.byStatus, c.total),
      );
    }),
  );
}

export function renderFailures(container, progress) {
  const reasons = Object.entries(progress.failureReasons ?? {}).sort(([, a], [, b]) => b - a);
  if (reasons.length === 0) {
    container.replaceChildren(el('p', { className: 'muted' }, 'No failure.'));
    return;
  }
  const most = reasons[0][1];
  container.replaceChildren(
    ...reasons.map(([reason, count]) => {
      const fill = el('span', { className: 'reason-fill' });
      fill.style.width = `${(count * 100) / most}%`;
      return el('div', { className: 'reason' }, el('span', { className: 'reason-name' }, reason), el('span', { className: 'reason-bar' }, fill), el('span', { className: 'reason-count' }, String(count)));
    }),
  );
}

const matches = (job, words) => {
  const haystack = `${job.endpoint} ${job.status} ${job.reason ?? ''} cohort:${job.cohort} ${job.reportedVersion ?? ''}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
};

function historyRow(entry) {
  const change = entry.from === undefined ? entry.to : `${entry.from} → ${entry.to}`;
  return el('li', {}, el('span', { className: 'history-time' }, time(entry.at)), el('span', { className: 'history-change' }, change), entry.event && el('span', { className: 'history-event' }, entry.event), entry.detail && el('span', { className: 'history-detail' }, entry.detail));
}

/** The per-device table, filtered by `search`; rows in `expanded` show their job history. */
export function renderDeviceTable(nodes, jobs, search, expanded, now = Date.now()) {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = jobs.filter((job) => matches(job, words));
  const rows = [];
  for (const job of shown.slice(0, MAX_DEVICE_ROWS)) {
    const open = expanded.has(job.endpoint);
    rows.push(
      el(
        'tr',
        { className: open ? `device ${categoryOf(job.status)} open` : `device ${categoryOf(job.status)}`, dataset: { endpoint: job.endpoint }, tabindex: '0', 'aria-expanded': String(open) },
        el('td', { className: 'endpoint' }, job.endpoint),
        el('td', {}, job.cohort === SKIPPED_COHORT ? '-' : String(job.cohort)),
        el('td', {}, statusBadge(job.status)),
        el('td', { className: 'num' }, String(job.attempt + 1)),
        el('td', {}, job.reason ?? ''),
        el('td', {}, job.reportedVersion ?? ''),
        el('td', { className: 'num', title: new Date(job.updatedAt).toISOString() }, ago(job.updatedAt, now)),
      ),
    );
    if (open) {
      const history = job.history.length === 0 ? [el('li', { className: 'muted' }, `${job.status} since ${time(job.createdAt)}, no transition yet`)] : job.history.map(historyRow);
      rows.push(el('tr', { className: 'history-row' }, el('td', { colspan: '7' }, el('ol', { className: 'history' }, history))));
    }
  }
  nodes.body.replaceChildren(...rows);
  nodes.count.textContent = shown.length > MAX_DEVICE_ROWS ? `showing ${MAX_DEVICE_ROWS} of ${shown.length} matching devices (${jobs.length} in all)` : `${shown.length} of ${jobs.length} devices`;
  nodes.count.dataset.shown = String(shown.length);
}
