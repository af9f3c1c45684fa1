/**
 * The mailserver's errors (specs/mailserver §2.2, §5.3). Archive operations refuse with
 * `InboxError` of `@hush/interface` (a bad cursor); stores refuse with `StoreError`.
 */
import { HushError } from '@hush/interface';

/** Why a mailserver message was refused. */
export type MailserverErrorCode =
  /** A history request payload that is not one of the three request forms (§2.1). */
  | 'invalid-request'
  /** A p2pRequestComplete body too short for its form (§5.3). */
  | 'invalid-completion';

/** A mailserver message that could not be read; `code` says which. */
export class MailserverError extends HushError<MailserverErrorCode> {
  override readonly name = 'MailserverError';
}
