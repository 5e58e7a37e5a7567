/**
 * Execute arguments (LwM2M TS 1.1 §5.4.5): a comma-separated list of `digit` or
 * `digit='text'`, where the text holds no single quote, e.g. `0='fast',1,2='v2.1.0'`.
 */
import { fail, ok, type Result } from '../result.ts';
import { ExecuteArgumentsError } from './errors.ts';

export interface ExecuteArgument {
  readonly id: number;
  readonly value?: string;
}

const ARGUMENT = /^([0-9])(?:='([\x20-\x26\x28-\x7e]*)')?$/;

export function parseExecuteArguments(text: string): Result<ExecuteArgument[], ExecuteArgumentsError> {
  if (text === '') return ok([]);
  const args: ExecuteArgument[] = [];
  // A comma may sit inside a quoted value, so split only outside quotes.
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  for (const part of parts) {
    const match = ARGUMENT.exec(part);
    if (match === null) return fail(new ExecuteArgumentsError(`invalid execute argument "${part.slice(0, 40)}": expected a digit, optionally ='text'`));
    const id = Number(match[1]);
    if (args.some((a) => a.id === id)) return fail(new ExecuteArgumentsError(`execute argument ${id} given twice`));
    args.push(match[2] === undefined ? { id } : { id, value: match[2] });
  }
  return ok(args);
}

export function formatExecuteArguments(args: readonly ExecuteArgument[]): string {
  return args.map((a) => (a.value === undefined ? String(a.id) : `${a.id}='${a.value}'`)).join(',');
}
