/**
 * Progress display for long work: a live bar on a terminal, and a plain line every few seconds
 * when output is a file or a CI log (no control characters in logs).
 */
import type { TextSink } from './fotaConsole.ts';

export interface ProgressBar {
  update(done: number, detail?: string): void;
  stop(): void;
}

const BAR_WIDTH = 30;

/** One bar as text: `label [#####-----] done/total detail`, the count padded to `countWidth`. */
export function renderBar(label: string, done: number, total: number, detail = '', countWidth = 0): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * BAR_WIDTH);
  const count = `${String(done).padStart(String(total).length)}/${total}`.padStart(countWidth);
  return `${label.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${count} ${detail}`.trimEnd();
}

export function createProgressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stdout): ProgressBar {
  let lastPlain = 0;
  let lastDone = -1;
  const render = (done: number, detail: string): string => renderBar(label, done, total, detail);
  return {
    update(done, detail = '') {
      if (stream.isTTY === true) {
        stream.write(`\r${render(done, detail)}\x1b[K`);
      } else if (done !== lastDone && (Date.now() - lastPlain > 2000 || done === total)) {
        stream.write(`${render(done, detail)}\n`);
        lastPlain = Date.now();
      }
      lastDone = done;
    },
    stop() {
      if (stream.isTTY === true) stream.write('\n');
    },
  };
}

/**
 * A plain text table: columns padded to their widest cell, the first and those in `leftAligned`
 * to the left (text), the others to the right (figures).
 */
export function formatTable(rows: readonly (readonly (string | number)[])[], leftAligned: readonly number[] = []): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  const left = new Set([0, ...leftAligned]);
  const line = (row: string[]): string => row.map((cell, i) => (left.has(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const [head, ...body] = cells;
  if (head === undefined) return '';
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface BoardLine {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly detail?: string;
}

/** Several bars redrawn in place (a campaign's cohorts); in a log, a snapshot when they change. */
export interface ProgressBoard {
  /** Redraws; in a log, prints when something changed and a while passed, or when `final`. */
  update(heading: string, lines: readonly BoardLine[], final?: boolean): void;
  stop(): void;
}

export function createProgressBoard(stream: TextSink = process.stdout, plainEveryMs = 2000): ProgressBoard {
  let drawn = 0;
  let lastPlain = 0;
  let lastText = '';
  return {
    update(heading, lines, final = false) {
      const countWidth = Math.max(0, ...lines.map((line) => 2 * String(line.total).length + 1));
      const rows = [heading, ...lines.map((line) => renderBar(line.label, line.done, line.total, line.detail, countWidth))];
      const text = rows.join('\n');
      if (stream.isTTY === true) {
        // Back to the first line of the previous frame, then rewrite each line and clear its tail.
        stream.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${rows.map((row) => `\r${row}\x1b[K\n`).join('')}\x1b[J`);
        drawn = rows.length;
      } else if (text !== lastText && (final || Date.now() - lastPlain >= plainEveryMs)) {
        stream.write(`${text}\n`);
        lastPlain = Date.now();
        lastText = text;
      }
    },
    stop() {
      drawn = 0;
    },
  };
}

/** A duration for people: `45 s`, `12 min 5 s`, `3 h 20 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 === 0 ? '' : ` ${s % 60} s`}`;
  const minutes = Math.round((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes === 0 ? '' : ` ${minutes} min`}`;
}
