/**
 * Every error a user can see comes from here, with a stable id. One handler (http.ts) renders them as the NHS
 * error page or as RFC 9457 problem details; anything else is a 500 whose details stay in the log.
 */
export type FieldError = { field: string; message: string };

export class AppError extends Error {
  constructor(
    readonly id: 'validation' | 'unauthenticated' | 'forbidden' | 'organisation_required' | 'not_found' | 'conflict' | 'too_many_requests',
    readonly status: number,
    readonly title: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Bad input: one message per field, in form order. Nothing was written. */
export const invalid = (fields: FieldError[], message = 'There is a problem with the information you gave') =>
  new AppError('validation', 400, 'Invalid input', message, fields);
export const unauthenticated = () => new AppError('unauthenticated', 401, 'Sign in required', 'You need to sign in to see this page.');
export const forbidden = (message = 'You do not have permission to do this.') => new AppError('forbidden', 403, 'Forbidden', message);
/**
 * Refused only because no organisation is chosen: the user holds a role in one that would allow it. Pages send
 * them to choose it and come back (http.ts); the API answers 403 saying so.
 */
export const organisationRequired = () =>
  new AppError('organisation_required', 403, 'Organisation not chosen', 'Choose the organisation you are acting for first.');
export const notFound = (what = 'page') => new AppError('not_found', 404, 'Not found', `The ${what} could not be found.`);
export const conflict = (field: string, message: string) => new AppError('conflict', 409, 'Conflict', message, [{ field, message }]);
