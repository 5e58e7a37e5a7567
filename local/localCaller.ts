/**
 * Who calls the local API. There is no sign-in on loopback: the caller names itself with
 * `X-Fota-Actor` (default `local:$USER`) and may take roles with `X-Fota-Role` (viewer, operator,
 * approver, comma-separated), which the local API then enforces from the same table as IAM does
 * in AWS (core/access/roles.ts). Without `X-Fota-Role` the local user may do everything, as before.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isAccessRole, type AccessRole } from '../core/access/roles.ts';
import { fail, ok, type Result } from '../core/result.ts';
import { ApiError } from '../functions/api/http.ts';

export interface LocalCaller {
  readonly actor: string;
  /** Absent: every role. */
  readonly roles?: readonly AccessRole[];
}

export function localCaller(headers: IncomingHttpHeaders): Result<LocalCaller, ApiError> {
  const named = headers['x-fota-actor'];
  const actor = typeof named === 'string' && named !== '' ? named : `local:${process.env['USER'] ?? 'user'}`;
  const header = headers['x-fota-role'];
  if (typeof header !== 'string') return ok({ actor });
  const roles = header.split(',').map((role) => role.trim());
  const unknown = roles.find((role) => !isAccessRole(role));
  if (unknown !== undefined) return fail(new ApiError(400, 'INVALID_REQUEST', `X-Fota-Role: unknown role ${unknown}; viewer, operator or approver`, 'X-Fota-Role'));
  return ok({ actor, roles: roles.filter(isAccessRole) });
}
