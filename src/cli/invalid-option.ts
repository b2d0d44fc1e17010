import { ValidationError } from '../domain/errors.ts';

/** A command-line option the command cannot use, reported as one line naming it. */
export const invalidOption = (option: string, message: string) => new ValidationError([{ path: [option], message }]);
