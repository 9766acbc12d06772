import type { InstalledModel } from '../../src-shared/index.js';
import { ErrorPayload, InstalledModel as InstalledModelSchema, KernelCallError } from '../../src-shared/index.js';

/** Where `amk serve` takes a model file from the browser (see MODEL_UPLOAD_PATH in the server). */
export function modelUploadUrl(location: Pick<Location, 'protocol' | 'host'>, fileName: string): string {
  return `${location.protocol}//${location.host}/models/upload?name=${encodeURIComponent(fileName)}`;
}

/**
 * Sends a picked or dropped GGUF to the kernel. XMLHttpRequest, not fetch: only it reports upload
 * progress, which a multi-gigabyte file needs. The kernel checks the file before installing it.
 */
export function uploadModelFile(location: Pick<Location, 'protocol' | 'host'>, token: string, file: File, onProgress: (sentBytes: number) => void): Promise<InstalledModel> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', modelUploadUrl(location, file.name));
    request.setRequestHeader('authorization', `Bearer ${token}`);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    request.addEventListener('error', () => reject(new Error(`the upload of ${file.name} was interrupted`)));
    request.addEventListener('load', () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        reject(new Error(`the kernel answered the upload of ${file.name} with HTTP ${request.status}`));
        return;
      }
      const model = InstalledModelSchema.safeParse((body as { model?: unknown }).model);
      if (request.status === 201 && model.success) return resolve(model.data);
      const error = ErrorPayload.safeParse((body as { error?: unknown }).error);
      reject(error.success ? new KernelCallError(error.data) : new Error(`the upload of ${file.name} failed with HTTP ${request.status}`));
    });
    request.send(file);
  });
}
