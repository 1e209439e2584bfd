import { PermanentError } from '../errors.js';

/** The operator asked for something the CLI cannot do as asked: exit status 2, no retry helps. */
export class UsageError extends PermanentError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, { code: 'USAGE' });
  }
}
