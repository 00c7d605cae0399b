// The studio's JSON calls: session cookie and CSRF header, errors as ApiError with the
// server's own words (courses/studio/api.py and uploads_api.py).
import { fileFingerprint } from "./studio-upload.js";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(method !== "GET" ? { "X-CSRFToken": csrfToken } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    throw new ApiError(response.status, detail || `The server answered ${response.status}.`);
  }
  return data;
}

export function uploadApi(lessonId) {
  return {
    start: (file) =>
      api("POST", `/api/studio/lessons/${lessonId}/uploads`, {
        filename: file.name,
        size: file.size,
        fingerprint: fileFingerprint(file),
      }),
    describe: (versionId) => api("GET", `/api/media/uploads/${versionId}`),
    signParts: async (versionId, numbers) =>
      (await api("POST", `/api/media/uploads/${versionId}/part-urls`, { part_numbers: numbers }))
        .urls,
    complete: (versionId) => api("POST", `/api/media/uploads/${versionId}/complete`),
    abort: (versionId) => api("DELETE", `/api/media/uploads/${versionId}`),
  };
}
