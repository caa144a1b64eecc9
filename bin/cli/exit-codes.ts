/**
 * What the `outpost` command's exit status says, so scripts can tell a bad
 * command line from a refused request from a server that is down: the codes,
 * their meaning as `outpost --help` prints it, and the mapping from an error
 * to its code. A code's meaning never changes once published.
 */
import { isOutpostApiError } from '../../api/client/index.js';

export const EXIT = {
  ok: 0,
  usage: 1,
  refused: 2,
  unavailable: 3,
  unwantedOutcome: 4,
  gaveUpWaiting: 5,
} as const;

/** The exit codes as `--help` shows them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  bad command line, missing key or unreadable file (nothing was sent)
  2  the API refused the request (4xx); its error code is printed
  3  the server failed or could not be reached (5xx, network, timeout)
  4  done, but not as wanted: a watched message was not delivered to every
     recipient, or a domain's records are missing or wrong
  5  messages watch --timeout passed before the message was final`;

/** A failure of the command itself, with the exit code that names its kind. */
export class CliFailure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Client-side codes (status 0) that mean the server could not be reached or made no sense. */
const UNREACHABLE_CODES = new Set(['network_error', 'timeout', 'invalid_response']);

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliFailure) return error.exitCode;
  if (isOutpostApiError(error)) {
    if (error.status === 0) return UNREACHABLE_CODES.has(error.code) ? EXIT.unavailable : EXIT.usage;
    return error.status >= 500 ? EXIT.unavailable : EXIT.refused;
  }
  return EXIT.usage;
}
