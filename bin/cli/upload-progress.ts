/**
 * The progress bar of a large upload (`outpost send --attach`), drawn with
 * cli-progress on stderr, only when stderr is a terminal and the upload is
 * large enough to take a moment, so pipes, logs and --json never see it.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { UploadProgress } from '../../api/client/index.js';

/** Below this an upload is over before a bar would be read. */
const SHOWN_FROM_BYTES = 1024 * 1024;

export interface UploadBar {
  /** For SendOptions.onUploadProgress; undefined when no bar is shown. */
  onProgress: ((progress: UploadProgress) => void) | undefined;
  /** Removes the bar (call whether the send succeeded or not). */
  stop(): void;
}

export function uploadBar(expectedBytes: number, enabled: boolean): UploadBar {
  if (!enabled || !process.stderr.isTTY || expectedBytes < SHOWN_FROM_BYTES) return { onProgress: undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: '{phase} [{bar}] {percentage}% {sentMiB}/{totalMiB} MiB', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  let total = expectedBytes;
  // once the last byte is out, the server still builds and queues the message before it answers
  const phase = (sent: number) => (sent < total ? 'uploading' : 'uploaded, being queued');
  bar.start(total, 0, { sentMiB: mib(0), totalMiB: mib(total), phase: phase(0) });
  return {
    onProgress({ sentBytes, totalBytes }) {
      if (totalBytes !== undefined && totalBytes !== total) {
        total = totalBytes;
        bar.setTotal(total);
      }
      bar.update(Math.min(sentBytes, total), { sentMiB: mib(sentBytes), totalMiB: mib(total), phase: phase(sentBytes) });
    },
    stop: () => bar.stop(),
  };
}
