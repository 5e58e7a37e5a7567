// Job statuses grouped the way a release manager reads them, in stacking order (bottom first).

export const CATEGORIES = [
  { id: 'succeeded', label: 'Succeeded', statuses: ['SUCCEEDED'] },
  { id: 'failed', label: 'Failed', statuses: ['FAILED'] },
  { id: 'active', label: 'In progress', statuses: ['READY', 'DOWNLOADING', 'DOWNLOADED', 'UPDATING', 'VERIFYING', 'FAILING'] },
  { id: 'pending', label: 'Pending', statuses: ['PENDING'] },
  { id: 'other', label: 'Skipped or cancelled', statuses: ['SKIPPED', 'CANCELLED'] },
];

const CATEGORY_OF = new Map(CATEGORIES.flatMap((c) => c.statuses.map((s) => [s, c.id])));

export const categoryOf = (status) => CATEGORY_OF.get(status) ?? 'other';

/** Counts per category from a `byStatus` tally ({ SUCCEEDED: 3, ... }). */
export function countByCategory(byStatus) {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c.id, 0]));
  for (const [status, n] of Object.entries(byStatus ?? {})) counts[categoryOf(status)] += n;
  return counts;
}

/** A job's status at time `at`, replayed from its history (each entry: { at, from, to }). */
export function statusAt(job, at) {
  let status = job.history[0]?.from ?? job.status;
  for (const entry of job.history) {
    if (entry.at > at) break;
    status = entry.to;
  }
  return status;
}

/**
 * Category counts at `points` moments from `from` to `to`, replayed from job histories: the
 * chart's past when the page opens on a campaign that already ran for a while.
 */
export function replayCounts(jobs, from, to, points = 60) {
  if (jobs.length === 0 || !(to > from)) return [];
  const samples = [];
  for (let i = 0; i <= points; i++) {
    const at = from + ((to - from) * i) / points;
    const byStatus = {};
    for (const job of jobs) {
      if (job.createdAt > at) continue;
      const status = statusAt(job, at);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    samples.push({ at, counts: countByCategory(byStatus) });
  }
  return samples;
}
