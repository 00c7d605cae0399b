// The one way the browser writes durations: the same rule as
// media_pipeline/formatting.py (whole seconds, halves rounded up; 59.6 s is 1:00).
export function durationLabel(seconds, missing = "") {
  if (seconds == null || !Number.isFinite(seconds)) return missing;
  const total = Math.max(0, Math.floor(seconds + 0.5));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
