/** What one run of `fota` reads and writes: the process's streams and environment, or a test's buffers. */
export interface FotaConsole {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Read by `--key-stdin` only. */
  readonly stdin: AsyncIterable<string | Buffer>;
  /** FOTA_API, FOTA_ACTOR, FOTA_ROLE, AWS_REGION... */
  readonly env: NodeJS.ProcessEnv;
}

/** A stream text is written to; a terminal (`isTTY`) gets live redraws, anything else plain lines. */
export interface TextSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}
