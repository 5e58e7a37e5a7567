// The fleet page (#fleet): a histogram of devices by model and firmware version (online part
// shaded), the offline devices and those whose last update failed; and a device's page
// (#device=<endpoint>): its registration and firmware history. Reads GET /fleet/versions,
// /fleet/attention, /devices/{endpoint} and /devices/{endpoint}/history.
import { getJson } from './api.js';
import { el } from './views.js';

const deviceLink = (endpoint) => el('a', { href: `#device=${encodeURIComponent(endpoint)}`, className: 'device-link' }, endpoint);
const when = (at) => new Date(at).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');

function histogram(items) {
  const most = Math.max(1, ...items.map((row) => row.devices));
  return el(
    'div',
    { className: 'histogram' },
    ...items.map((row) => {
      const bar = el('span', { className: 'hist-bar', title: `${row.online} online of ${row.devices}` }, el('span', { className: 'hist-online' }));
      bar.style.width = `${(row.devices * 100) / most}%`;
      bar.firstChild.style.width = `${(row.online * 100) / Math.max(1, row.devices)}%`;
      return el('div', { className: 'hist-row', dataset: { model: row.model, version: row.version, devices: String(row.devices) } }, el('span', { className: 'hist-label' }, `${row.model} ${row.version}`), bar, el('span', { className: 'hist-count' }, `${row.devices} (${row.online} online)`));
    }),
  );
}

function deviceTable(id, headings, rows) {
  if (rows.length === 0) return el('p', { className: 'muted', id }, 'None.');
  return el('table', { className: 'devices', id }, el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', {}, cell))))));
}

export async function renderFleet(container) {
  const [versions, attention] = await Promise.all([getJson('/fleet/versions'), getJson('/fleet/attention')]);
  const total = versions.items.reduce((sum, row) => sum + row.devices, 0);
  container.replaceChildren(
    el('h2', {}, `Fleet: ${total} device(s)`),
    el('section', { className: 'panel' }, el('h3', {}, 'Firmware versions by model'), histogram(versions.items)),
    el('section', { className: 'panel' }, el('h3', {}, `Offline (${attention.offline.length})`), deviceTable('fleet-offline', ['Endpoint', 'Model', 'Version', 'Last seen'], attention.offline.map((d) => [deviceLink(d.endpoint), d.model, d.version, when(d.lastSeen)]))),
    el('section', { className: 'panel' }, el('h3', {}, `Last update failed (${attention.failedLastUpdate.length})`), deviceTable('fleet-failed', ['Endpoint', 'Campaign', 'Version', 'Reason', 'At'], attention.failedLastUpdate.map((d) => [deviceLink(d.endpoint), el('a', { href: `#campaign=${encodeURIComponent(d.campaignId)}` }, d.campaignId), d.targetVersion, d.reason, when(d.at)]))),
  );
}

export async function renderDevice(container, endpoint) {
  const path = `/devices/${encodeURIComponent(endpoint)}`;
  const [device, history] = await Promise.all([getJson(path), getJson(`${path}/history`)]);
  const tags = [...(device.groups ?? []).map((g) => `group ${g}`), ...Object.entries(device.attributes ?? {}).map(([k, v]) => `${k}=${v}`)].join(' · ');
  container.replaceChildren(
    el('p', {}, el('a', { href: '#fleet' }, '← Fleet')),
    el('h2', { id: 'device-name' }, device.endpoint),
    el('p', { className: 'meta' }, `${device.model ?? '(unknown model)'} · firmware ${device.firmwareVersion ?? '(unknown)'} · ${device.online ? 'online' : 'offline'} · last seen ${when(device.lastSeen)}${tags === '' ? '' : ` · ${tags}`}`),
    el('section', { className: 'panel' }, el('h3', {}, 'Firmware versions'), deviceTable('device-versions', ['Version', 'Since', 'Installed by'], history.versions.map((v) => [v.version, when(v.since), v.campaignId === undefined ? 'found at registration' : el('a', { href: `#campaign=${encodeURIComponent(v.campaignId)}` }, v.campaignId)]))),
    el('section', { className: 'panel' }, el('h3', {}, 'Campaigns'), deviceTable('device-updates', ['Campaign', 'Version', 'Status', 'Reason', 'At'], history.updates.map((u) => [el('a', { href: `#campaign=${encodeURIComponent(u.campaignId)}` }, u.campaignId), u.targetVersion, u.status, u.reason ?? '', when(u.at)]))),
  );
}
