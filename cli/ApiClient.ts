/**
 * HTTP client of the REST API: the local stack's loopback API (plain http, no authentication) or
 * a deployed stack's (https, every request signed with SigV4).
 */
import { signerForDeployedApi, type RequestSigner } from './requestSigner.ts';

export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApiClientError';
  }
}

export interface ApiClientOptions {
  /** Signs each request; none for the local stack. */
  readonly signer?: RequestSigner;
  /** Sent with every request: the local stack's caller identity (`x-fota-actor`, `x-fota-role`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One page of a list route. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** Pages a `listAll` follows at most (with 1000 items a page: a million items). */
const MAX_PAGES = 1000;

export class ApiClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly options: ApiClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get<T>(path: string, query: Readonly<Record<string, string>> = {}): Promise<T> {
    return this.call<T>('GET', path, undefined, query);
  }

  /** `headers`: extra request headers (e.g. Idempotency-Key), covered by the signature. */
  post<T>(path: string, body: unknown, headers: Readonly<Record<string, string>> = {}): Promise<T> {
    return this.call<T>('POST', path, body, {}, headers);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  /** Every item of a paginated list route, following `nextCursor`. */
  async listAll<T>(path: string, query: Readonly<Record<string, string>> = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.get<Page<T>>(path, { ...query, limit: '1000', ...(cursor === undefined ? {} : { cursor }) });
      items.push(...answer.items);
      cursor = answer.nextCursor;
      if (cursor === undefined) return items;
    }
    throw new ApiClientError(0, 'TOO_MANY_PAGES', `${path} has more than ${MAX_PAGES} pages`);
  }

  private async call<T>(method: string, path: string, body?: unknown, query: Readonly<Record<string, string>> = {}, extraHeaders: Readonly<Record<string, string>> = {}): Promise<T> {
    // Appended, not resolved: a deployed API's base URL may carry a stage path (`/prod`).
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...this.options.headers, ...extraHeaders };
    const signed = this.options.signer === undefined ? headers : await this.options.signer.sign({ method, url, headers, ...(text === undefined ? {} : { body: text }) });
    // fetch sets Host itself, from the same URL the signature covers.
    const sent = Object.fromEntries(Object.entries(signed).filter(([name]) => name.toLowerCase() !== 'host'));
    let response: Response;
    try {
      response = await fetch(url, { method, headers: sent, ...(text === undefined ? {} : { body: text }) });
    } catch (error) {
      throw new ApiClientError(0, 'UNREACHABLE', `cannot reach the API at ${this.baseUrl}: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
    }
    const answer = await response.text();
    let parsed: unknown;
    try {
      parsed = answer === '' ? undefined : (JSON.parse(answer) as unknown);
    } catch (error) {
      throw new ApiClientError(response.status, 'NOT_JSON', `HTTP ${response.status} from ${url.origin}, not a JSON answer`, undefined, { cause: error });
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; field?: string }; message?: string } | undefined)?.error;
      // API Gateway's own refusals (a bad signature) come as { message }.
      const message = error?.message ?? (parsed as { message?: string } | undefined)?.message ?? `HTTP ${response.status}`;
      throw new ApiClientError(response.status, error?.code ?? (response.status === 403 ? 'FORBIDDEN' : 'HTTP_ERROR'), message, error?.field);
    }
    return parsed as T;
  }
}

/**
 * Who the CLI says it is to the local stack, which has no sign-in: FOTA_ACTOR (a name) and
 * FOTA_ROLE (viewer, operator, approver), as `x-fota-actor` / `x-fota-role`. A deployed stack
 * knows the caller from the signature instead.
 */
export function localIdentityHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const actor = env['FOTA_ACTOR'];
  const role = env['FOTA_ROLE'];
  return { ...(actor === undefined || actor === '' ? {} : { 'x-fota-actor': actor }), ...(role === undefined || role === '' ? {} : { 'x-fota-role': role }) };
}

/** The client for an API URL: signed for https (a deployed stack), unsigned for the local stack. */
export function apiClientFor(apiUrl: string, options: { readonly region?: string; readonly env?: NodeJS.ProcessEnv } = {}): ApiClient {
  const env = options.env ?? process.env;
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch (error) {
    throw new ApiClientError(0, 'BAD_URL', `--api: not a URL: ${apiUrl}`, undefined, { cause: error });
  }
  if (url.protocol === 'https:') return new ApiClient(apiUrl, { signer: signerForDeployedApi(url, env, options.region) });
  if (url.protocol === 'http:') return new ApiClient(apiUrl, { headers: localIdentityHeaders(env) });
  throw new ApiClientError(0, 'BAD_URL', `--api: expected an http:// or https:// URL, got ${apiUrl}`);
}
