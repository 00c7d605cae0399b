// The one way the browser writes durations and sizes: the same rules as
// media_pipeline/formatting.py (whole seconds, halves rounded up, so 59.6 s is 1:00;
// decimal units, so 1,200,000 bytes is 1.2 MB).
export function durationLabel(seconds, missing = "") {
  if (seconds == null || !Number.isFinite(seconds)) return missing;
  const total = Math.max(0, Math.floor(seconds + 0.5));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function sizeLabel(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  for (const unit of units) {
    if (value < 1000 || unit === "TB") {
      return unit === "bytes" ? `${value.toFixed(0)} bytes` : `${value.toFixed(1)} ${unit}`;
    }
    value /= 1000;
  }
  return "";
}
