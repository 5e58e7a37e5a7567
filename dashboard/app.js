// The campaign dashboard: the campaigns list, and the selected campaign's live progress, polled
// from the REST API every second (GET /campaigns, /campaigns/{id}, /campaigns/{id}/jobs). A
// deployed dashboard signs in first (session.js).
import { ApiError, configureApi, getJson, listAll } from './api.js';
import { renderActions, takeAction } from './actions.js';
import { renderDevice, renderFleet } from './fleet.js';
import { renderLegend, renderStateChart } from './chart.js';
import { countByCategory, replayCounts } from './states.js';
import { loadConfig, startSession } from './session.js';
import { renderCampaignList, renderCohorts, renderDeviceTable, renderFailures, renderHeader, renderSummary } from './views.js';

const POLL_MS = 1000;
/** Chart samples kept per campaign: 20 minutes at one a second. */
const MAX_SAMPLES = 1200;
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'CANCELLED']);

const $ = (id) => document.getElementById(id);
const nodes = {
  connection: $('connection'),
  signOut: $('sign-out'),
  list: $('campaign-list'),
  detail: $('campaign'),
  fleet: $('fleet'),
  empty: $('empty'),
  header: { name: $('campaign-name'), status: $('campaign-status'), meta: $('campaign-meta'), abort: $('campaign-abort') },
  actions: { buttons: $('campaign-actions'), message: $('action-message') },
  summary: $('summary'),
  cohorts: $('cohorts'),
  chart: $('chart'),
  legend: $('chart-legend'),
  failures: $('failures'),
  search: $('device-search'),
  devices: { body: $('devices-body'), count: $('device-count') },
};

const state = {
  campaigns: [],
  selectedId: undefined,
  view: undefined,
  jobs: [],
  /** campaignId -> [{ at, counts }] */
  samples: new Map(),
  expanded: new Set(),
  /** Campaign actions the caller's roles allow (GET /whoami); none until known. */
  allowedActions: [],
  actionInFlight: false,
};

const hashParams = () => new URLSearchParams(location.hash.slice(1));
const selectedFromHash = () => hashParams().get('campaign') ?? undefined;
/** The fleet page (#fleet) or a device's page (#device=<endpoint>) instead of a campaign. */
const fleetPage = () => (hashParams().has('fleet') ? { kind: 'fleet' } : hashParams().has('device') ? { kind: 'device', endpoint: hashParams().get('device') } : undefined);

function defaultCampaign(campaigns) {
  return (campaigns.find((c) => !FINISHED.has(c.status)) ?? campaigns[0])?.campaignId;
}

function setConnection(ok, text) {
  nodes.connection.textContent = text;
  nodes.connection.className = ok ? 'connection ok' : 'connection down';
}

function recordSample(campaignId, view, jobs) {
  let samples = state.samples.get(campaignId);
  if (samples === undefined) {
    // First look at this campaign: its past, replayed from the job histories.
    const until = FINISHED.has(view.status) && view.finishedAt !== undefined ? view.finishedAt : Date.now() - 1;
    samples = replayCounts(jobs, view.startedAt ?? view.createdAt, until);
    state.samples.set(campaignId, samples);
  }
  if (!FINISHED.has(view.status) || samples.length === 0 || samples.at(-1).at < (view.finishedAt ?? 0)) {
    samples.push({ at: Date.now(), counts: countByCategory(view.progress.byStatus) });
    if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
  }
  return samples;
}

function renderDevices() {
  renderDeviceTable(nodes.devices, state.jobs, nodes.search.value, state.expanded);
}

function renderDetail() {
  const { view } = state;
  nodes.detail.hidden = view === undefined;
  nodes.empty.hidden = view !== undefined;
  if (view === undefined) return;
  renderHeader(nodes.header, view);
  renderActions(nodes.actions, view, state.allowedActions, state.actionInFlight);
  renderSummary(nodes.summary, view.progress);
  renderCohorts(nodes.cohorts, view);
  renderStateChart(nodes.chart, state.samples.get(view.campaignId) ?? []);
  renderLegend(nodes.legend, countByCategory(view.progress.byStatus));
  renderFailures(nodes.failures, view.progress);
  renderDevices();
  document.title = `${view.name}: ${view.progress.finished}/${view.progress.total} · FOTA`;
}

async function refresh() {
  try {
    state.campaigns = (await listAll('/campaigns')).sort((a, b) => b.createdAt - a.createdAt);
    const page = fleetPage();
    nodes.fleet.hidden = page === undefined;
    if (page !== undefined) {
      nodes.detail.hidden = true;
      nodes.empty.hidden = true;
      renderCampaignList(nodes.list, state.campaigns, undefined);
      await (page.kind === 'fleet' ? renderFleet(nodes.fleet) : renderDevice(nodes.fleet, page.endpoint));
      setConnection(true, `live · updated ${new Date().toLocaleTimeString()}`);
      return;
    }
    const wanted = selectedFromHash() ?? defaultCampaign(state.campaigns);
    if (wanted !== undefined && !state.campaigns.some((c) => c.campaignId === wanted)) {
      // An id no campaign has: say so in the page's own layout, and keep polling only the list.
      state.selectedId = wanted;
      state.view = undefined;
      renderCampaignList(nodes.list, state.campaigns, undefined);
      renderDetail();
      nodes.empty.textContent = `No campaign ${wanted}: pick one from the list.`;
      setConnection(true, `live · updated ${new Date().toLocaleTimeString()}`);
      return;
    }
    nodes.empty.textContent = 'No campaign selected.';
    if (wanted !== state.selectedId) {
      state.selectedId = wanted;
      state.view = undefined;
      state.jobs = [];
      state.expanded.clear();
    }
    if (state.selectedId !== undefined) {
      const id = encodeURIComponent(state.selectedId);
      const [view, jobs] = await Promise.all([getJson(`/campaigns/${id}`), listAll(`/campaigns/${id}/jobs`)]);
      state.view = view;
      state.jobs = jobs;
      recordSample(view.campaignId, view, jobs);
    }
    renderCampaignList(nodes.list, state.campaigns, state.selectedId);
    renderDetail();
    setConnection(true, `live · updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && fleetPage()?.kind === 'device') {
      nodes.fleet.textContent = `No device ${fleetPage().endpoint}.`;
      setConnection(true, 'live');
      return;
    }
    setConnection(false, `cannot reach the API (${error.message}); retrying`);
  }
}

// One refresh at a time, the next one a second after the previous ended.
let timer;
let refreshing = false;
async function poll() {
  if (refreshing) return;
  refreshing = true;
  clearTimeout(timer);
  try {
    await refresh();
  } finally {
    refreshing = false;
    timer = setTimeout(poll, POLL_MS);
  }
}

function showActionMessage(message) {
  nodes.actions.message.hidden = false;
  nodes.actions.message.textContent = message.text;
  nodes.actions.message.className = message.ok ? 'action-message' : 'action-message refused';
}

nodes.actions.buttons.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (button === null || state.view === undefined || state.actionInFlight) return;
  state.actionInFlight = true;
  renderDetail();
  try {
    showActionMessage(await takeAction(state.view.campaignId, button.dataset.action));
  } finally {
    state.actionInFlight = false;
    void poll();
  }
});

nodes.search.addEventListener('input', renderDevices);
nodes.devices.body.addEventListener('click', (event) => {
  const row = event.target.closest('tr.device');
  if (row === null) return;
  const endpoint = row.dataset.endpoint;
  if (state.expanded.has(endpoint)) state.expanded.delete(endpoint);
  else state.expanded.add(endpoint);
  renderDevices();
});
nodes.devices.body.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target.matches('tr.device')) event.target.click();
});
window.addEventListener('hashchange', () => void poll());

async function start() {
  let session;
  try {
    session = await startSession(await loadConfig());
  } catch (error) {
    setConnection(false, error.message);
    return;
  }
  configureApi(session);
  try {
    state.allowedActions = (await getJson('/whoami')).actions ?? [];
  } catch (error) {
    // Without knowing the caller's roles the page offers no action (the API would decide anyway).
    setConnection(false, `cannot tell who you are (${error.message})`);
  }
  if (session.signOut !== undefined) {
    nodes.signOut.hidden = false;
    nodes.signOut.addEventListener('click', (event) => {
      event.preventDefault();
      session.signOut();
    });
  }
  void poll();
}

void start();
