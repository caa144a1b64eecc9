/**
 * The SMTP submission listeners, 587 (STARTTLS) and 465 (implicit TLS), as one
 * part of Outpost: bound early in the start (a busy port fails the start with
 * the one-line error naming its variable), serving mail only once serve() has
 * given them the pipeline (until then a client gets 421 and comes back),
 * reloading their certificate without closing, and closed first on shutdown.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { SMTPServer } from 'smtp-server';
import type { OutpostConfig, PortSetting } from '../../config/index.js';
import type { FrontEnd, Intake } from '../../core/intake.js';
import { listen } from '../../core/listen.js';
import { SessionRegistry, type ListenerName, type SubmissionContext } from './session-state.js';
import { createSubmissionServer } from './submission-server.js';
import { loadTlsCertificate, TLS_SETTINGS } from '../../core/tls-certificate.js';

const SPECS: { name: ListenerName; port: (config: OutpostConfig) => PortSetting; variable: string }[] = [
  { name: 'submission', port: (config) => config.submissionPort, variable: 'OUTPOST_SUBMISSION_PORT' },
  { name: 'submission_tls', port: (config) => config.submissionTlsPort, variable: 'OUTPOST_SUBMISSION_TLS_PORT' },
];

export class SubmissionListeners implements FrontEnd {
  private constructor(
    private readonly servers: Map<ListenerName, SMTPServer>,
    private readonly context: SubmissionContext,
  ) {}

  /** Loads the certificate and binds every enabled port; a port set to off is skipped, and with both off nothing is loaded. */
  static async bind(config: OutpostConfig, logger: Logger): Promise<SubmissionListeners> {
    const context: SubmissionContext = {
      config,
      logger,
      sessions: new SessionRegistry(),
      intake: undefined,
      closing: false,
    };
    const listeners = new SubmissionListeners(new Map(), context);
    const enabled = SPECS.filter((spec) => spec.port(config) !== 'off');
    if (enabled.length === 0) return listeners;
    const certificate = await loadTlsCertificate(config, logger);
    try {
      for (const spec of enabled) {
        const server = createSubmissionServer(spec.name, certificate, context);
        listeners.servers.set(spec.name, server);
        await listen(server.server, config.smtpHost, spec.port(config) as number, spec.variable);
      }
    } catch (error) {
      await listeners.close(0);
      throw error;
    }
    return listeners;
  }

  /** From now on mail is taken and handed to `intake`. */
  serve(intake: Intake): void {
    this.context.intake = intake;
  }

  /** Each listener by name (as /health names it); undefined when it is off. */
  get listeners(): Record<ListenerName, Server | undefined> {
    return {
      submission: this.servers.get('submission')?.server,
      submission_tls: this.servers.get('submission_tls')?.server,
    };
  }

  /** Nothing to cut: close() already ends every session at the end of its grace period. */
  cut(): void {}

  /**
   * Reads the certificate files again and uses them for every new connection and
   * STARTTLS; sessions already open keep theirs, and the listeners stay open. A bad
   * certificate is refused with a config_invalid error and the old one stays in use.
   */
  async reloadCertificate(): Promise<void> {
    if (this.servers.size === 0) return;
    // loadTlsCertificate builds a secure context first, so a bad pair throws before anything changes
    const certificate = await loadTlsCertificate(this.context.config, this.context.logger);
    for (const server of this.servers.values()) server.updateSecureContext({ key: certificate.key, cert: certificate.cert, ...TLS_SETTINGS });
    this.context.logger.info({ certFile: certificate.certFile }, 'smtp submission: TLS certificate reloaded');
  }

  /**
   * Stops accepting; idle sessions get 421 at once, those in a mail transaction may
   * finish it (the pipeline refuses new messages meanwhile) until `graceMs`, when
   * smtp-server answers them 421 and closes them too.
   */
  async close(graceMs: number): Promise<void> {
    this.context.closing = true;
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.options.closeTimeout = Math.max(graceMs, 1);
            server.close(() => resolve());
            for (const connection of server.connections) {
              if (!this.context.sessions.get(connection.id)?.inTransaction) connection.send(421, '4.3.2 Outpost is shutting down; try again in a moment');
            }
          }),
      ),
    );
  }
}
