/**
 * Progress display for long work: a live bar on a terminal, and a plain line every few seconds
 * when output is a file or a CI log (no control characters in logs).
 */
export interface ProgressBar {
  update(done: number, detail?: string): void;
  stop(): void;
}

export function createProgressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stdout): ProgressBar {
  const width = 30;
  let lastPlain = 0;
  let lastDone = -1;
  const render = (done: number, detail: string): string => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    return `${label.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} ${detail}`;
  };
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

/** A plain text table: columns padded to their widest cell. */
export function formatTable(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  const line = (row: string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = cells;
  if (head === undefined) return '';
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
