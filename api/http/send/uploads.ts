/**
 * Where multipart attachments are written while a send is processed: one fresh
 * directory per request under <data dir>/uploads (the data dir, not os.tmpdir(),
 * which may be a RAM-backed tmpfs). Each request removes its directory once it
 * has answered; at start the area is emptied, since anything still there was
 * left by a process that stopped mid-request.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { outpostError } from '../../../core/errors.js';

export interface UploadDirectory {
  path: string;
  /** Deletes the directory and every file in it. */
  remove(): Promise<void>;
}

export class UploadArea {
  private readonly prepared: Promise<void>;

  constructor(private readonly root: string, private readonly logger: Logger) {
    this.prepared = rm(root, { recursive: true, force: true }).then(() => mkdir(root, { recursive: true }).then(() => undefined));
    this.prepared.catch((error: unknown) => logger.error({ err: error, root }, 'cannot prepare the upload directory; multipart sends will fail'));
  }

  async open(): Promise<UploadDirectory> {
    try {
      await this.prepared;
      const directory = await mkdtemp(path.join(this.root, 'send-'));
      return {
        path: directory,
        remove: () =>
          rm(directory, { recursive: true, force: true }).catch((error: unknown) => {
            this.logger.warn({ err: error, directory }, 'could not remove an upload directory');
          }),
      };
    } catch (error) {
      // the path is for the operator's log, not for the client
      this.logger.error({ err: error, directory: this.root }, 'cannot create an upload directory');
      throw outpostError('storage_failed', 'cannot store the upload (the disk is full or not writable); try again later', { cause: error });
    }
  }
}
