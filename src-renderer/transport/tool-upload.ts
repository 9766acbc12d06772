import type { ToolPackageReview } from '../../src-shared/index.js';
import { ErrorPayload, KernelCallError, TOOL_UPLOAD_PATH, ToolPackageReview as ToolPackageReviewSchema } from '../../src-shared/index.js';

/** Where `amk serve` takes a tool package from the browser (TOOL_UPLOAD_PATH). */
export function toolUploadUrl(location: Pick<Location, 'protocol' | 'host'>, fileName: string): string {
  return `${location.protocol}//${location.host}${TOOL_UPLOAD_PATH}?name=${encodeURIComponent(fileName)}`;
}

/** The review in a 2xx answer: the bare review, or wrapped as `{ review }`. */
function reviewIn(body: unknown): ToolPackageReview | null {
  const bare = ToolPackageReviewSchema.safeParse(body);
  if (bare.success) return bare.data;
  const wrapped = ToolPackageReviewSchema.safeParse((body as { review?: unknown } | null)?.review);
  return wrapped.success ? wrapped.data : null;
}

/**
 * Sends a picked or dropped tool package to the kernel, which unpacks and checks it and answers the
 * review; nothing is installed until the user approves it. Packages are small: fetch is enough.
 */
export async function uploadToolPackage(location: Pick<Location, 'protocol' | 'host'>, token: string, file: File): Promise<ToolPackageReview> {
  let response: Response;
  try {
    response = await fetch(toolUploadUrl(location, file.name), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: file,
    });
  } catch {
    throw new Error(`the upload of ${file.name} was interrupted`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the kernel answered the upload of ${file.name} with HTTP ${response.status}`);
  }
  const review = response.ok ? reviewIn(body) : null;
  if (review) return review;
  const error = ErrorPayload.safeParse((body as { error?: unknown } | null)?.error);
  throw error.success ? new KernelCallError(error.data) : new Error(`the upload of ${file.name} failed with HTTP ${response.status}`);
}
