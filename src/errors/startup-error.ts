/**
 * A setting or a condition that stops the process at start. `main.ts` prints it as one line
 * (`cannot start: <variable>: <message>`) and exits 1, without a stack trace: the reader is an
 * operator, and the message says what to change.
 */
export class StartupError extends Error {
  /** What is wrong and what to do, without the variable's name. */
  readonly detail: string;

  constructor(
    /** The environment variable to change (e.g. `DATABASE_URL`). */
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.detail = message;
    this.name = 'StartupError';
  }

  /** The one line printed on stderr. */
  line(): string {
    return `cannot start: ${this.variable}: ${this.detail}`;
  }
}
