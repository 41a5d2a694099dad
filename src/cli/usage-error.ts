/** A mistake in the command line itself (unknown command or option, missing option): exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
