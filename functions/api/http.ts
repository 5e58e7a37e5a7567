/** The API's transport-neutral request and response, shared by the Lambda and local adapters. */
import type { AccessRole } from '../../core/access/roles.ts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Raw body text (JSON expected where a body is needed). */
  readonly body?: string;
  /** Who is calling: the IAM principal in AWS, the local user at home. Recorded in audit trails. */
  readonly actor?: string;
  /** The caller's roles where the adapter knows them (core/access/roles.ts); absent: not known. */
  readonly roles?: readonly AccessRole[];
  /** Request headers the routes read (Idempotency-Key), names in lower case. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request the API refuses: 400 bad input (with the field named), 404 unknown id, 409 illegal action. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(error: ApiError): { error: { code: string; message: string; field?: string } } {
  return { error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
}

export function parseJsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') throw new ApiError(400, 'BODY_REQUIRED', 'a JSON body is required');
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}
