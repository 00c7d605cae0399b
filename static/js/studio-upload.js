// Resumable multipart upload of one file straight to object storage.
//
// Why our own uploader and not Uppy's AwsS3 plugin (checked with uppy 6.0 / @uppy/aws-s3 6.1):
// @uppy/aws-s3 6.x dropped the createMultipartUpload / listParts / signPart /
// completeMultipartUpload callbacks. It now creates, lists and completes the
// multipart upload itself from the browser (signRequest / getCredentials /
// Companion), choosing the object key client-side and completing with the
// browser's own list of ETags. Our server decides the key, lists the stored
// parts itself and completes from that list, so those requests must go
// through our API, which that plugin cannot do. The file picking and drop
// zone are a few lines of plain DOM code, so the studio does not load the
// 600 KB Uppy bundle for them either.
//
// What this does: asks the server first which parts it already holds and
// never sends those again (after a reload the instructor picks the same
// file, the fingerprint finds the unfinished upload), sends the other parts
// 4 at a time with XMLHttpRequest (for upload progress), retries each part
// with exponential backoff, and lets the server assemble the parts.
import { sizeLabel } from "./format.js";

export function fileFingerprint(file) {
  // Size and modification time first: the server cuts fingerprints at 255 characters.
  return `${file.size}-${file.lastModified}-${file.name}`;
}

export class UploadCancelled extends Error {}

// The upload stopped but can continue: the parts already stored are kept.
export class UploadInterrupted extends Error {}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new UploadCancelled("cancelled"));
      },
      { once: true },
    );
  });
}

function putPart(url, blob, { signal, onProgress }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        const error = new Error(`object storage answered ${xhr.status}`);
        error.status = xhr.status;
        reject(error);
      }
    };
    xhr.onerror = () => reject(new Error("network error"));
    xhr.ontimeout = () => reject(new Error("timed out"));
    xhr.onabort = () => reject(new UploadCancelled("cancelled"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    // The slice has no type, so no Content-Type is sent: the signature does
    // not cover one and the server set the object's type when it started.
    xhr.send(blob);
  });
}

/**
 * One file's upload.
 *
 * api: {
 *   start(file) -> description  (creates or resumes: {version_id, part_size, part_count, parts, resumed})
 *   describe(versionId) -> description
 *   signParts(versionId, numbers) -> {"1": url, ...}
 *   complete(versionId) -> version status
 *   abort(versionId)
 * }
 * description.parts: [{PartNumber, ETag, Size}] as stored by object storage.
 */
export class MultipartUpload {
  constructor(file, api, { concurrency = 4, maxAttempts = 6, onProgress, onInfo } = {}) {
    this.file = file;
    this.api = api;
    this.concurrency = concurrency;
    this.maxAttempts = maxAttempts;
    this.onProgress = onProgress || (() => {});
    this.onInfo = onInfo || (() => {});
    this.versionId = null;
    this.controller = null;
    this.urlCache = new Map();
    this.sentBefore = 0; // bytes the server already held when this run started
  }

  cancel() {
    this.controller?.abort();
  }

  async abort() {
    this.cancel();
    if (this.versionId) await this.api.abort(this.versionId);
  }

  // Resolves with the version status once the server accepted the upload.
  async run() {
    this.controller = new AbortController();
    const { signal } = this.controller;
    // First run: start (or find the unfinished upload of this file). Later
    // runs (after a dropped connection): ask again which parts arrived.
    const description = this.versionId
      ? await this.api.describe(this.versionId)
      : await this.api.start(this.file);
    this.versionId = description.version_id;
    if (description.status && description.status.state !== "uploading") {
      return description.status; // completed by an earlier run
    }
    const plan = this.#plan(description);
    if (description.resumed && plan.storedBytes > 0) {
      this.onInfo(
        `Resuming: ${sizeLabel(plan.storedBytes)} already stored, sending the rest.`,
      );
    }
    await this.#send(plan, signal);
    try {
      return await this.api.complete(this.versionId);
    } catch (error) {
      if (error.status === 409) {
        // Storage lost or never got a part: send what is missing once more.
        const again = this.#plan(await this.api.describe(this.versionId));
        await this.#send(again, signal);
        return await this.api.complete(this.versionId);
      }
      throw error;
    }
  }

  #expectedSize(number, partSize) {
    return Math.min(partSize, this.file.size - (number - 1) * partSize);
  }

  #plan(description) {
    const partSize = description.part_size;
    const count = description.part_count;
    const stored = new Set();
    let storedBytes = 0;
    for (const part of description.parts || []) {
      // A part of the wrong size (e.g. another file) is sent again.
      if (part.Size === this.#expectedSize(part.PartNumber, partSize)) {
        stored.add(part.PartNumber);
        storedBytes += part.Size;
      }
    }
    const pending = [];
    for (let n = 1; n <= count; n += 1) if (!stored.has(n)) pending.push(n);
    return { partSize, pending, storedBytes };
  }

  async #urlFor(number, pending, signal) {
    const cached = this.urlCache.get(number);
    // Presigned URLs live an hour on the server; renew well before that.
    if (cached && Date.now() - cached.at < 40 * 60 * 1000) return cached.url;
    const batch = [number, ...pending.slice(0, 7)];
    const urls = await this.api.signParts(this.versionId, batch);
    if (signal.aborted) throw new UploadCancelled("cancelled");
    const at = Date.now();
    for (const [n, url] of Object.entries(urls)) this.urlCache.set(Number(n), { url, at });
    return this.urlCache.get(number).url;
  }

  async #send({ partSize, pending, storedBytes }, signal) {
    const total = this.file.size;
    const done = { bytes: storedBytes };
    const inFlight = new Map();
    const started = performance.now();
    const startBytes = storedBytes;
    const report = () => {
      let sent = done.bytes;
      for (const loaded of inFlight.values()) sent += loaded;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0.5 ? (sent - startBytes) / seconds : 0;
      this.onProgress({ sent, total, rate });
    };
    report();
    const queue = [...pending];
    let failure = null;

    const sendOne = async (number) => {
      const start = (number - 1) * partSize;
      const blob = this.file.slice(start, start + this.#expectedSize(number, partSize));
      for (let attempt = 1; ; attempt += 1) {
        try {
          const url = await this.#urlFor(number, queue, signal);
          await putPart(url, blob, {
            signal,
            onProgress: (loaded) => {
              inFlight.set(number, loaded);
              report();
            },
          });
          inFlight.delete(number);
          done.bytes += blob.size;
          report();
          return;
        } catch (error) {
          inFlight.delete(number);
          report();
          if (error instanceof UploadCancelled || signal.aborted) throw new UploadCancelled();
          // 403 is usually an expired signature: sign again.
          if (error.status === 403) this.urlCache.delete(number);
          if (error.status && error.status < 500 && error.status !== 403 && error.status !== 408) {
            throw error; // the server refused (e.g. the upload was aborted): retrying won't help
          }
          if (attempt >= this.maxAttempts) {
            throw new UploadInterrupted(
              `The connection dropped (${error.message}). The parts already sent are kept.`,
            );
          }
          const delay = Math.min(30000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
          await sleep(delay, signal);
        }
      }
    };

    const worker = async () => {
      while (queue.length && !failure) {
        const number = queue.shift();
        try {
          await sendOne(number);
        } catch (error) {
          failure = failure || error;
          this.controller.abort(); // stop the other parts; stored ones stay stored
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    if (failure) throw failure;
  }
}
