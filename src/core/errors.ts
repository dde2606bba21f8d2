/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

/**
 * Every error ir knows how to explain (bad flag values, dead hosts, refused keys, a wrong policy, no
 * docker): printed as one line, exit 2. Anything else is "unexpected error: …". The base command tests
 * this one class, so it never has to import the SSH, policy or docker modules to recognise their errors.
 */
export class IrError extends Error {}

/** A fatal error the user can act on: printed as one line, exit 2, no stack trace. */
export class UserError extends IrError {
  constructor(
    message: string,
    public readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
